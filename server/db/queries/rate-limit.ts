// Fixed-window counters in Postgres, shared by every web replica.
import { eq, sql } from "drizzle-orm";
import type { Db } from "../connect";
import { rateLimitBuckets } from "../schema";

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

/** Counts one hit against `key`; the window restarts once it is `windowSeconds` old. */
export async function consumeRateLimit(db: Db, key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
  const interval = sql`make_interval(secs => ${windowSeconds})`;
  const expired = sql`${rateLimitBuckets.windowStart} <= now() - ${interval}`;
  const [row] = await db
    .insert(rateLimitBuckets)
    .values({ key, windowStart: sql`now()`, count: 1 })
    .onConflictDoUpdate({
      target: rateLimitBuckets.key,
      set: {
        windowStart: sql`case when ${expired} then now() else ${rateLimitBuckets.windowStart} end`,
        count: sql`case when ${expired} then 1 else ${rateLimitBuckets.count} + 1 end`,
      },
    })
    .returning({
      count: rateLimitBuckets.count,
      retryAfter: sql<number>`ceil(extract(epoch from (${rateLimitBuckets.windowStart} + ${interval} - now())))::int`,
    });
  if (!row) throw new Error(`rate limit upsert for ${key} returned no row`);
  return { allowed: row.count <= limit, remaining: Math.max(0, limit - row.count), retryAfterSeconds: Math.max(1, row.retryAfter) };
}

export async function resetRateLimit(db: Db, key: string): Promise<void> {
  await db.delete(rateLimitBuckets).where(eq(rateLimitBuckets.key, key));
}
