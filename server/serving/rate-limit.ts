// Per-key limits on requests and tokens per minute, counted in the database so that every web
// replica shares them. Each limited key has one row holding the current UTC minute's counts;
// one INSERT … ON CONFLICT DO UPDATE … WHERE both admits and counts a request, atomically (the
// conflicting row is locked and re-read at its latest version), so concurrent requests can never
// admit more than the limit. A fixed window: a burst may use one minute's allowance at its end
// and the next at the start of the next minute, which is what "per minute" promises anyway.
//
// Tokens are admitted before the answer exists, by an estimate: the prompt's tokens plus the
// request's max_tokens, the most it can use. That reservation is counted in the window, and
// recordUsage corrects it when the answer is done: it adds (prompt + completion) − reservation
// to the same window, i.e. gives back what was not generated. If the minute has passed by then,
// the correction is dropped: the old window no longer limits anything.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/server/db/connect";
import { apiKeyRateWindows } from "@/server/db/schema/api-keys";
import type { ApiKeyPrincipal } from "./api-keys";

/** What an admitted request reserved, for recordUsage to correct. */
export interface TokenReservation {
  keyId: string;
  windowStart: Date;
  tokens: number;
}

export type AdmitResult =
  | { ok: true; reservation: TokenReservation | null }
  | { ok: false; retryAfterSeconds: number; limit: "requests" | "tokens"; message: string };

type Limits = Pick<ApiKeyPrincipal, "keyId" | "requestsPerMinute" | "tokensPerMinute">;

const w = apiKeyRateWindows;
const currentMinute = sql`date_trunc('minute', now())`;
const secondsLeft = sql<number>`greatest(1, ceil(extract(epoch from (${w.windowStart} + interval '1 minute' - now()))))::int`;

/** Counts a request and its token estimate against the key's per-minute limits, or refuses it. */
export async function admitRequest(db: Db, key: Limits, request: { tokens: number }): Promise<AdmitResult> {
  const { requestsPerMinute: rpm, tokensPerMinute: tpm } = key;
  // A key without limits needs no counting: no database write on its requests.
  if (rpm === null && tpm === null) return { ok: true, reservation: null };
  const tokens = Math.max(0, Math.ceil(request.tokens));
  if (tpm !== null && tokens > tpm) {
    return {
      ok: false,
      limit: "tokens",
      retryAfterSeconds: 60,
      message: `Request too large: it may use ${tokens} tokens (prompt + max_tokens) and this key allows ${tpm} tokens per minute. Lower max_tokens or shorten the prompt.`,
    };
  }
  // The window in the row is older than this minute: the request starts a fresh one.
  const stale = sql`${w.windowStart} < excluded.window_start`;
  const fits = and(
    rpm === null ? undefined : sql`${w.requests} + 1 <= ${rpm}`,
    tpm === null ? undefined : sql`${w.tokens} + excluded.tokens <= ${tpm}`,
  );
  const [admitted] = await db
    .insert(w)
    .values({ keyId: key.keyId, windowStart: currentMinute, requests: 1, tokens })
    .onConflictDoUpdate({
      target: w.keyId,
      set: {
        // greatest(): a transaction that began a moment before the minute turned must not move the window back.
        windowStart: sql`greatest(${w.windowStart}, excluded.window_start)`,
        requests: sql`case when ${stale} then 1 else ${w.requests} + 1 end`,
        tokens: sql`case when ${stale} then excluded.tokens else ${w.tokens} + excluded.tokens end`,
      },
      setWhere: sql`${stale} or (${fits})`,
    })
    .returning({ windowStart: w.windowStart });
  if (admitted) return { ok: true, reservation: { keyId: key.keyId, windowStart: admitted.windowStart, tokens } };

  const [row] = await db.select({ requests: w.requests, retryAfter: secondsLeft }).from(w).where(eq(w.keyId, key.keyId));
  const retryAfterSeconds = row?.retryAfter ?? 1;
  if (rpm !== null && (row?.requests ?? 0) >= rpm) {
    return { ok: false, limit: "requests", retryAfterSeconds, message: `Rate limit reached: this key allows ${rpm} requests per minute. Try again in ${retryAfterSeconds} s.` };
  }
  return { ok: false, limit: "tokens", retryAfterSeconds, message: `Rate limit reached: this key allows ${tpm} tokens per minute. Try again in ${retryAfterSeconds} s.` };
}

/** Replaces reservations by what the requests used (several at once: one statement). */
export async function settleReservations(db: Db, settled: Array<{ reservation: TokenReservation; usedTokens: number }>) {
  if (settled.length === 0) return;
  const rows = settled.map(({ reservation: r, usedTokens }) => sql`(${r.keyId}::uuid, ${r.windowStart.toISOString()}::timestamptz, ${Math.round(usedTokens - r.tokens)}::bigint)`);
  await db.execute(sql`
    update ${w} set tokens = greatest(0, ${w.tokens} + d.delta)
    from (select key_id, window_start, sum(delta)::bigint as delta from (values ${sql.join(rows, sql`, `)}) as v(key_id, window_start, delta) group by key_id, window_start) as d
    where ${w.keyId} = d.key_id and ${w.windowStart} = d.window_start`);
}
