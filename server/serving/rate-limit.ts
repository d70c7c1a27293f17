// Per-key limits on requests and tokens per minute. The database holds each limited key's current
// UTC minute (one row per key); one INSERT … ON CONFLICT DO UPDATE … WHERE both checks and counts,
// atomically (the conflicting row is locked and re-read at its latest version), so what all server
// processes count together never passes the limit. A fixed window: a burst may use one minute's
// allowance at its end and the next at the start of the next minute, which "per minute" allows.
//
// So that a request needs no database round trip, each process leases a slice of a key's minute
// at a time (a sixteenth of each limit, or what the request needs if more) and admits from it in
// memory; with small limits the slice is one request, and every request is counted in the
// database as it comes. What a process leased and did not use goes back at its next sync (every
// usage batch): all of it once the key was quiet since the previous sync, the part beyond one
// slice while it is busy. Nothing is ever admitted beyond the limit; the price is that a slice
// leased by one process is not available to the others until it is given back.
//
// Tokens are admitted before the answer exists, by an estimate: the prompt's tokens plus the
// request's max_tokens, the most it can use. settle() replaces that reservation by what was used
// when the answer is done (given back to the process's slice, and to the database with it). If the
// minute has passed by then, the correction is dropped: the old window no longer limits anything.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/server/db/connect";
import { apiKeyRateWindows } from "@/server/db/schema/api-keys";
import type { ApiKeyPrincipal } from "./api-keys";

/** What an admitted request reserved, for settle() to correct. */
export interface TokenReservation {
  keyId: string;
  windowStart: Date;
  tokens: number;
}

type Refused = { ok: false; retryAfterSeconds: number; limit: "requests" | "tokens"; message: string };
export type AdmitResult = { ok: true; reservation: TokenReservation | null } | Refused;

type Limits = Pick<ApiKeyPrincipal, "keyId" | "requestsPerMinute" | "tokensPerMinute">;

/** A process leases this share of a key's limits at a time (at least one request, or what a request needs). */
const SLICES_PER_MINUTE = 16;

const w = apiKeyRateWindows;
const currentMinute = sql`date_trunc('minute', now())`;
const secondsLeft = sql<number>`greatest(1, ceil(extract(epoch from (${w.windowStart} + interval '1 minute' - now()))))::int`;

function tooLarge(tokens: number, tpm: number): Refused {
  return {
    ok: false,
    limit: "tokens",
    retryAfterSeconds: 60,
    message: `Request too large: it may use ${tokens} tokens (prompt + max_tokens) and this key allows ${tpm} tokens per minute. Lower max_tokens or shorten the prompt.`,
  };
}

/**
 * Counts `requests` (default 1) and `tokens` against the key's current minute in the database, or
 * refuses them all when they do not fit. The limiter leases slices with it; alone, it limits one
 * request at a time.
 */
export async function admitRequest(db: Db, key: Limits, request: { tokens: number; requests?: number }): Promise<AdmitResult> {
  const { requestsPerMinute: rpm, tokensPerMinute: tpm } = key;
  // A key without limits needs no counting: no database write on its requests.
  if (rpm === null && tpm === null) return { ok: true, reservation: null };
  const tokens = Math.max(0, Math.ceil(request.tokens));
  const requests = request.requests ?? 1;
  if (tpm !== null && tokens > tpm) return tooLarge(tokens, tpm);
  // The window in the row is older than this minute: the request starts a fresh one.
  const stale = sql`${w.windowStart} < excluded.window_start`;
  const fits = and(
    rpm === null ? undefined : sql`${w.requests} + excluded.requests <= ${rpm}`,
    tpm === null ? undefined : sql`${w.tokens} + excluded.tokens <= ${tpm}`,
  );
  const [admitted] = await db
    .insert(w)
    .values({ keyId: key.keyId, windowStart: currentMinute, requests, tokens })
    .onConflictDoUpdate({
      target: w.keyId,
      set: {
        // greatest(): a transaction that began a moment before the minute turned must not move the window back.
        windowStart: sql`greatest(${w.windowStart}, excluded.window_start)`,
        requests: sql`case when ${stale} then excluded.requests else ${w.requests} + excluded.requests end`,
        tokens: sql`case when ${stale} then excluded.tokens else ${w.tokens} + excluded.tokens end`,
      },
      setWhere: sql`${stale} or (${fits})`,
    })
    .returning({ windowStart: w.windowStart });
  if (admitted) return { ok: true, reservation: { keyId: key.keyId, windowStart: admitted.windowStart, tokens } };

  const [row] = await db.select({ requests: w.requests, retryAfter: secondsLeft }).from(w).where(eq(w.keyId, key.keyId));
  const retryAfterSeconds = row?.retryAfter ?? 1;
  if (rpm !== null && (row?.requests ?? 0) + requests > rpm) {
    return { ok: false, limit: "requests", retryAfterSeconds, message: `Rate limit reached: this key allows ${rpm} requests per minute. Try again in ${retryAfterSeconds} s.` };
  }
  return { ok: false, limit: "tokens", retryAfterSeconds, message: `Rate limit reached: this key allows ${tpm} tokens per minute. Try again in ${retryAfterSeconds} s.` };
}

/** Adds to (or, negative, takes from) keys' counts of the given minutes; a minute that has passed is left alone. */
async function adjustWindows(db: Db, changes: Array<{ keyId: string; windowStart: Date; requests: number; tokens: number }>) {
  if (changes.length === 0) return;
  const rows = changes.map((c) => sql`(${c.keyId}::uuid, ${c.windowStart.toISOString()}::timestamptz, ${c.requests}::int, ${Math.round(c.tokens)}::bigint)`);
  await db.execute(sql`
    update ${w} set requests = greatest(0, ${w.requests} + d.requests), tokens = greatest(0, ${w.tokens} + d.tokens)
    from (values ${sql.join(rows, sql`, `)}) as d(key_id, window_start, requests, tokens)
    where ${w.keyId} = d.key_id and ${w.windowStart} = d.window_start`);
}

/** What this process holds of one key's minute. */
interface Allowance {
  /** The window's start (ms), as the database set it. */
  window: number;
  /** Counted in the database by this process's leases. */
  leasedRequests: number;
  leasedTokens: number;
  /** Admitted here: tokens are reservations, corrected to use when settled (so they may pass leasedTokens). */
  usedRequests: number;
  usedTokens: number;
  /** A busy key keeps this much leased between syncs. */
  sliceRequests: number;
  sliceTokens: number;
  /** Admitted a request since the last sync. */
  active: boolean;
}

/** A process's in-memory admission for limited keys, leasing slices of their minutes from the database. */
export class RateLimiter {
  private readonly allowances = new Map<string, Allowance>();
  /** A lease in flight per key: others wait for it rather than lease beside it. */
  private readonly leasing = new Map<string, Promise<unknown>>();

  constructor(private readonly db: Db) {}

  /** Admits a request that may use `tokens` (prompt + max_tokens), or says which limit it is over. */
  async admit(key: Limits, request: { tokens: number }): Promise<AdmitResult> {
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = key;
    if (rpm === null && tpm === null) return { ok: true, reservation: null };
    const tokens = Math.max(0, Math.ceil(request.tokens));
    if (tpm !== null && tokens > tpm) return tooLarge(tokens, tpm);
    // Right after its own lease, a request takes from what it leased, whatever this clock says of the window.
    for (let leased = false; ; ) {
      const a = leased ? this.allowances.get(key.keyId) : this.current(key.keyId);
      if (a && (rpm === null || a.usedRequests < a.leasedRequests) && (tpm === null || a.usedTokens + tokens <= a.leasedTokens)) {
        a.active = true;
        if (rpm !== null) a.usedRequests++;
        if (tpm === null) return { ok: true, reservation: null };
        a.usedTokens += tokens;
        return { ok: true, reservation: { keyId: key.keyId, windowStart: new Date(a.window), tokens } };
      }
      const inFlight = this.leasing.get(key.keyId);
      if (inFlight) {
        await inFlight;
        continue;
      }
      const lease = this.lease(key, tokens, a);
      this.leasing.set(key.keyId, lease);
      try {
        const refused = await lease;
        if (refused) return refused;
        leased = true;
      } finally {
        this.leasing.delete(key.keyId);
      }
    }
  }

  /** The key's allowance if it is for the current minute (by this clock; the database's decides when they differ). */
  private current(keyId: string) {
    const a = this.allowances.get(keyId);
    return a && a.window + 60_000 > Date.now() ? a : undefined;
  }

  /** Leases a slice, or what this request lacks when that is more; null when leased, else the refusal. */
  private async lease(key: Limits, tokens: number, a: Allowance | undefined): Promise<Refused | null> {
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = key;
    const slice = { requests: rpm === null ? 0 : Math.max(1, Math.floor(rpm / SLICES_PER_MINUTE)), tokens: tpm === null ? 0 : Math.floor(tpm / SLICES_PER_MINUTE) };
    const need = {
      requests: rpm === null ? 0 : Math.max(0, 1 - (a ? a.leasedRequests - a.usedRequests : 0)),
      tokens: tpm === null ? 0 : Math.max(0, tokens - (a ? a.leasedTokens - a.usedTokens : 0)),
    };
    const ask = { requests: Math.max(need.requests, slice.requests), tokens: Math.max(need.tokens, slice.tokens) };
    let result = await admitRequest(this.db, key, ask);
    // Near the limit a whole slice may not fit where this request does.
    if (!result.ok && (ask.requests > need.requests || ask.tokens > need.tokens)) {
      Object.assign(ask, need);
      result = await admitRequest(this.db, key, ask);
    }
    if (!result.ok) return result;
    const window = result.reservation!.windowStart.getTime();
    let allowance = this.allowances.get(key.keyId);
    if (allowance?.window !== window) {
      // A new minute (in-flight reservations of the old one settle into nothing).
      allowance = { window, leasedRequests: 0, leasedTokens: 0, usedRequests: 0, usedTokens: 0, sliceRequests: 0, sliceTokens: 0, active: false };
      this.allowances.set(key.keyId, allowance);
    }
    allowance.leasedRequests += ask.requests;
    allowance.leasedTokens += ask.tokens;
    allowance.sliceRequests = slice.requests;
    allowance.sliceTokens = slice.tokens;
    return null;
  }

  /** Replaces a reservation by the tokens the request used, in this process at once (the database follows at sync). */
  settle(reservation: TokenReservation | null, usedTokens: number) {
    if (!reservation) return;
    const a = this.allowances.get(reservation.keyId);
    if (a?.window !== reservation.windowStart.getTime()) return;
    a.usedTokens += Math.round(usedTokens) - reservation.tokens;
  }

  /**
   * Gives the database back what this process leased and did not use, and counts there what
   * requests used beyond their reservations. Resolves to whether it still holds some unused
   * allowance (a busy key's slice), i.e. whether another sync should follow.
   */
  async sync(): Promise<boolean> {
    const now = Date.now();
    const changes: Array<{ allowance: Allowance; keyId: string; windowStart: Date; requests: number; tokens: number }> = [];
    for (const [keyId, a] of this.allowances) {
      if (a.window + 60_000 <= now) {
        if (!this.leasing.has(keyId)) this.allowances.delete(keyId);
        continue;
      }
      const unusedTokens = a.leasedTokens - a.usedTokens;
      const requests = Math.max(0, a.leasedRequests - a.usedRequests - (a.active ? a.sliceRequests : 0));
      // Negative: requests used more than they reserved; that is added to the database's count.
      const tokens = unusedTokens < 0 ? unusedTokens : Math.max(0, unusedTokens - (a.active ? a.sliceTokens : 0));
      a.active = false;
      if (requests === 0 && tokens === 0) continue;
      // Taken from the allowance before the write, so nothing admitted meanwhile can use it.
      a.leasedRequests -= requests;
      a.leasedTokens -= tokens;
      changes.push({ allowance: a, keyId, windowStart: new Date(a.window), requests: -requests, tokens: -tokens });
    }
    try {
      await adjustWindows(this.db, changes);
    } catch (error) {
      for (const c of changes) {
        c.allowance.leasedRequests -= c.requests;
        c.allowance.leasedTokens -= c.tokens;
      }
      throw error;
    }
    return [...this.allowances.values()].some((a) => a.leasedRequests > a.usedRequests || a.leasedTokens !== a.usedTokens);
  }
}
