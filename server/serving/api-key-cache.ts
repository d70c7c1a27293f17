// The process's copy of API keys by hash, so a /v1 request authenticates without a database round
// trip. Correctness comes first: an entry lives TTL_MS at most; a key that changes (revoked,
// expired, deleted, scope or limits) is dropped in this process by revokeApiKey itself and in
// every process by the LISTEN/NOTIFY feed (api-key-changes.ts); while that feed is not listening,
// every request reads its key from the database, as authenticateApiKey always did.
import type { Db } from "@/server/db/connect";
import { listenForApiKeyChanges, type ChangeFeed } from "./api-key-changes";
import { authenticateApiKey, checkApiKey, findApiKey, parseAuthorization, type ApiKeyAuthResult, type ApiKeyRecord } from "./api-keys";

/** Longest life of a cached key, should a change notification ever be missed. */
const TTL_MS = 10_000;
/** Keys kept at most; a burst of distinct keys beyond it starts over. */
const MAX_KEYS = 10_000;
/** "Last used" is shown to the minute. */
const TOUCH_EVERY_MS = 60_000;

interface Entry {
  at: number;
  record: Promise<ApiKeyRecord | null>;
  /** Set once the lookup found the key. */
  keyId?: string;
}

export interface CachedAuth {
  result: ApiKeyAuthResult;
  /** The key's "last used" is due (a minute since this process last wrote it): batch a touchApiKeys. */
  touch: boolean;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly touched = new Map<string, number>();
  /** Bumped whenever entries may be stale: a lookup that began before it is not cached. */
  private generation = 0;
  private listening = false;
  private readonly feed: ChangeFeed;

  constructor(private readonly db: Db) {
    this.feed = listenForApiKeyChanges(db, {
      changed: (keyId) => this.drop(keyId),
      listening: (up) => {
        this.listening = up;
        this.clear();
      },
    });
  }

  /** Whether keys are served from memory (the feed is listening). */
  get serving() {
    return this.listening;
  }

  async authenticate(authorizationHeader: string | null): Promise<CachedAuth> {
    if (!this.listening) return { result: await authenticateApiKey(this.db, authorizationHeader), touch: false };
    const parsed = parseAuthorization(authorizationHeader);
    if (!parsed.ok) return { result: parsed, touch: false };
    const result = checkApiKey(await this.lookup(parsed.tokenHash), parsed.secret);
    return { result, touch: result.ok && this.due(result.key.keyId) };
  }

  private lookup(tokenHash: string): Promise<ApiKeyRecord | null> {
    const now = Date.now();
    const cached = this.entries.get(tokenHash);
    if (cached && now - cached.at < TTL_MS) return cached.record;
    const generation = this.generation;
    const record = findApiKey(this.db, tokenHash);
    const entry: Entry = { at: now, record };
    if (this.entries.size >= MAX_KEYS) this.clear();
    this.entries.set(tokenHash, entry);
    const forget = () => {
      if (this.entries.get(tokenHash) === entry) this.entries.delete(tokenHash);
    };
    record.then((found) => {
      // Unknown keys are not kept (a caller could fill memory with them); nor is a read that a change overtook.
      if (!found || generation !== this.generation) forget();
      else entry.keyId = found.id;
    }, forget);
    return record;
  }

  private due(keyId: string) {
    const now = Date.now();
    if (now - (this.touched.get(keyId) ?? 0) < TOUCH_EVERY_MS) return false;
    if (this.touched.size >= MAX_KEYS) this.touched.clear();
    this.touched.set(keyId, now);
    return true;
  }

  /** Forgets a key, and every lookup still in flight (it may be of that key, read before the change). */
  drop(keyId: string) {
    this.generation++;
    for (const [tokenHash, entry] of this.entries) if (entry.keyId === undefined || entry.keyId === keyId) this.entries.delete(tokenHash);
  }

  private clear() {
    this.generation++;
    this.entries.clear();
  }

  close() {
    this.clear();
    return this.feed.close();
  }
}

const registry = globalThis as unknown as { tributaryApiKeyCaches?: WeakMap<Db, ApiKeyCache> };

/** The process's key cache for a database (one per database, kept across dev reloads), listening from its first use. */
export function apiKeyCacheFor(db: Db): ApiKeyCache {
  registry.tributaryApiKeyCaches ??= new WeakMap();
  let cache = registry.tributaryApiKeyCaches.get(db);
  if (!cache) {
    cache = new ApiKeyCache(db);
    registry.tributaryApiKeyCaches.set(db, cache);
  }
  return cache;
}

/** Drops a changed key from this process's cache now, without waiting for its notification. */
export function dropCachedApiKey(db: Db, keyId: string) {
  registry.tributaryApiKeyCaches?.get(db)?.drop(keyId);
}

/** Stops the database's cache listening (tests, and shutdown). */
export async function closeApiKeyCache(db: Db) {
  const cache = registry.tributaryApiKeyCaches?.get(db);
  registry.tributaryApiKeyCaches?.delete(db);
  await cache?.close();
}
