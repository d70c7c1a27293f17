// Which serving workers may answer for an adapter, in the order the gateway tries them:
// rendezvous hashing keeps each adapter on the same few workers (so it stays hot in their
// caches), and among those the least loaded one goes first.
import { createHash } from "node:crypto";
import { and, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "@/server/db/connect";
import { workers, workerTokens } from "@/server/db/schema";
import { capabilitiesSchema } from "@/server/jobs/protocol";
import { ONLINE_SECONDS } from "@/server/jobs/workers";
import type { ServingWorker } from "./worker-client";

/** How many workers an adapter is kept hot on; load spreads only among these while they are up. */
export const AFFINITY_WORKERS = 2;

/**
 * Online serving workers (the liveness rule of workerPoolStatus) whose engine holds `baseModel`
 * and whose token serves the org (its own tokens and the platform's).
 */
export async function onlineServingWorkers(db: Db, orgId: string, baseModel: string): Promise<ServingWorker[]> {
  const rows = await db
    .select({ id: workers.id, name: workers.name, capabilities: workers.capabilities, tokenHash: workerTokens.tokenHash })
    .from(workers)
    .innerJoin(workerTokens, eq(workers.tokenId, workerTokens.id))
    .where(
      and(
        or(eq(workerTokens.orgId, orgId), isNull(workerTokens.orgId)),
        isNull(workerTokens.revokedAt),
        gt(workers.lastSeenAt, sql`now() - make_interval(secs => ${ONLINE_SECONDS})`),
        sql`${workers.capabilities} -> 'serving' ->> 'baseModel' = ${baseModel}`,
      ),
    );
  return rows.flatMap((r) => {
    const serving = capabilitiesSchema.safeParse(r.capabilities).data?.serving;
    return serving ? [{ id: r.id, name: r.name, url: serving.url.replace(/\/+$/, ""), baseModel: serving.baseModel, maxBatchSize: serving.maxBatchSize, tokenHash: r.tokenHash }] : [];
  });
}

const score = (key: string, workerId: string) => createHash("sha256").update(`${key}\0${workerId}`).digest().readUInt32BE(0);

/** Workers by descending rendezvous score for `key`: stable while the set is, and removing one worker moves only its keys. */
export function rendezvousOrder<W extends { id: string }>(key: string, pool: readonly W[]): W[] {
  return pool
    .map((w) => ({ w, s: score(key, w.id) }))
    .sort((a, b) => b.s - a.s || (a.w.id < b.w.id ? -1 : 1))
    .map(({ w }) => w);
}

/** Keys' rendezvous orders per worker list: a list is cached as one array until its next read, so each key hashes once per list, not per request. */
const orders = new WeakMap<readonly ServingWorker[], Map<string, readonly ServingWorker[]>>();
const MAX_ORDERS_PER_POOL = 10_000;

function cachedRendezvousOrder(key: string, pool: readonly ServingWorker[]): readonly ServingWorker[] {
  let byKey = orders.get(pool);
  if (!byKey) orders.set(pool, (byKey = new Map()));
  let order = byKey.get(key);
  if (!order) {
    if (byKey.size >= MAX_ORDERS_PER_POOL) byKey.clear();
    byKey.set(key, (order = rendezvousOrder(key, pool)));
  }
  return order;
}

/** Requests in flight per worker, counted in this process. */
export class LoadTracker {
  private readonly inFlight = new Map<string, number>();

  load(workerId: string) {
    return this.inFlight.get(workerId) ?? 0;
  }

  /** Counts a request until the returned function is called (once; later calls do nothing). */
  begin(workerId: string): () => void {
    this.inFlight.set(workerId, this.load(workerId) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = this.load(workerId) - 1;
      if (left > 0) this.inFlight.set(workerId, left);
      else this.inFlight.delete(workerId);
    };
  }
}

/**
 * The order to try workers for `key`: its affinity workers (the top by rendezvous score), least
 * loaded relative to batch size first, ties to the higher score; then every other worker by score,
 * as failover only.
 */
export function routeOrder(key: string, pool: readonly ServingWorker[], tracker: LoadTracker): ServingWorker[] {
  const ranked = cachedRendezvousOrder(key, pool);
  const affinity = ranked.slice(0, AFFINITY_WORKERS);
  const rank = new Map(affinity.map((w, i) => [w.id, i]));
  const utilization = (w: ServingWorker) => tracker.load(w.id) / w.maxBatchSize;
  affinity.sort((a, b) => utilization(a) - utilization(b) || rank.get(a.id)! - rank.get(b.id)!);
  return [...affinity, ...ranked.slice(AFFINITY_WORKERS)];
}
