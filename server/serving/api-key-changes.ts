// Hears about changes to API keys: migration 0006's trigger announces the id of every key whose
// authentication changed (revoked, expired, deleted, scope, limits) on a Postgres channel, and
// each process's ApiKeyCache drops that key. On Postgres the listener is a connection of its own,
// pinged every few seconds and reopened when it drops; the cache trusts itself only while it is
// up. On PGlite (one process) the notifications arrive in-process, before the change's query returns.
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import type { Db } from "@/server/db/connect";

export const API_KEY_CHANNEL = "api_key_changes";
/** Seen by operators in pg_stat_activity; tests find the listener's backend by it. */
export const LISTENER_APPLICATION_NAME = "tributary-api-key-changes";

const PING_EVERY_MS = 5_000;
/** A ping not answered by then means the connection is dead even if no socket error said so. */
const PING_TIMEOUT_MS = 3_000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

export interface ChangeHandlers {
  /** The key with this id changed: forget it. */
  changed(keyId: string): void;
  /** The listener started (true) or stopped (false) hearing changes; either way, what was cached may be stale. */
  listening(up: boolean): void;
}

export interface ChangeFeed {
  close(): Promise<void>;
}

/** Starts listening for the database behind `db`; a client it does not know is never up. */
export function listenForApiKeyChanges(db: Db, handlers: ChangeHandlers): ChangeFeed {
  // drizzle keeps its driver's client on the instance; Db's generic type does not declare it.
  const client = (db as unknown as { $client?: unknown }).$client;
  if (client instanceof PGlite) return listenOnPglite(client, handlers);
  if (isPostgresJs(client)) return new PostgresListener(client.options, handlers);
  return { close: async () => {} };
}

const isPostgresJs = (client: unknown): client is postgres.Sql => typeof client === "function" && typeof (client as { options?: unknown }).options === "object";

function listenOnPglite(client: PGlite, handlers: ChangeHandlers): ChangeFeed {
  const unlisten = client.listen(API_KEY_CHANNEL, (payload) => handlers.changed(payload)).then((stop) => {
    handlers.listening(true);
    return stop;
  });
  unlisten.catch((error: unknown) => console.error("api key changes: LISTEN failed on PGlite; every /v1 request reads its key from the database", error));
  return {
    async close() {
      handlers.listening(false);
      await (await unlisten.catch(() => null))?.();
    },
  };
}

/** One connection that LISTENs, reopened with backoff whenever it closes or stops answering pings. */
class PostgresListener implements ChangeFeed {
  private client: postgres.Sql | null = null;
  private up = false;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly options: postgres.ParsedOptions,
    private readonly handlers: ChangeHandlers,
  ) {
    this.pinger = setInterval(() => void this.ping(), PING_EVERY_MS).unref();
    void this.connect();
  }

  private setUp(up: boolean) {
    if (this.up === up) return;
    this.up = up;
    this.handlers.listening(up);
  }

  private async connect() {
    if (this.closed) return;
    const options = {
      ...this.options,
      max: 1,
      idle_timeout: undefined,
      max_lifetime: null,
      fetch_types: false,
      connection: { ...this.options.connection, application_name: LISTENER_APPLICATION_NAME },
      onnotify: (channel: string, payload: string) => {
        if (channel === API_KEY_CHANNEL) this.handlers.changed(payload);
      },
      onclose: () => this.lost(client),
    };
    // The pool's parsed options plus onnotify: what postgres-js's own listen() passes back to it; its public types describe only what users write.
    const client: postgres.Sql = postgres(options as unknown as postgres.Options<Record<string, never>>);
    this.client = client;
    try {
      await client.unsafe(`LISTEN ${API_KEY_CHANNEL}`);
      if (this.client !== client) return;
      this.retryMs = RETRY_MIN_MS;
      this.setUp(true);
    } catch (error) {
      this.lost(client, error instanceof Error ? error.message : String(error));
    }
  }

  /** The connection is gone: every change from now until it is back would be missed. */
  private lost(client: postgres.Sql, reason = "connection closed") {
    if (this.client !== client) return;
    this.client = null;
    // Said once per outage, not at every retry.
    if (this.up || this.retryMs === RETRY_MIN_MS) {
      if (!this.closed) console.warn(`api key changes: not listening (${reason}); /v1 requests read their key from the database until the listener is back`);
    }
    this.setUp(false);
    void client.end({ timeout: 0 }).catch(() => {});
    if (this.closed) return;
    setTimeout(() => void this.connect(), this.retryMs).unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async ping() {
    const client = this.client;
    if (!client || !this.up) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no answer")), PING_TIMEOUT_MS)));
    try {
      await Promise.race([client`select 1`, timeout]);
    } catch (error) {
      this.lost(client, `ping: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close() {
    this.closed = true;
    clearInterval(this.pinger);
    const client = this.client;
    this.client = null;
    this.setUp(false);
    await client?.end({ timeout: 0 });
  }
}
