// The chain outbox's rows and the sender leases: enqueueing (one row per key and chain), what is
// due for the sender, each state change it makes, and the counts the dashboards show.
import { and, asc, count, desc, eq, inArray, isNotNull, lte, max, ne, notExists, or, sql } from "drizzle-orm";
import { alias, type AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db, Tx } from "../connect";
import { rowsOf } from "./raw";
import { attributionEpochModels, chainOutbox, chainOutboxDependencies, chainSenderLeases, datanetVersions, fineTunes } from "../schema";

type Executor = Db | Tx;

const rowColumns = {
  id: chainOutbox.id,
  idempotencyKey: chainOutbox.idempotencyKey,
  chainId: chainOutbox.chainId,
  /** Ids of the rows it waits on, in id order. */
  dependsOn: sql<string[]>`array(select ${chainOutboxDependencies.dependsOn}::text from ${chainOutboxDependencies} where ${chainOutboxDependencies.outboxId} = ${chainOutbox.id} order by 1)`,
  call: chainOutbox.call,
  to: chainOutbox.to,
  data: chainOutbox.data,
  value: chainOutbox.value,
  status: chainOutbox.status,
  fromAddress: chainOutbox.fromAddress,
  nonce: chainOutbox.nonce,
  txHash: chainOutbox.txHash,
  rawTx: chainOutbox.rawTx,
  blockNumber: chainOutbox.blockNumber,
  attempts: chainOutbox.attempts,
  lastError: chainOutbox.lastError,
  nextAttemptAt: chainOutbox.nextAttemptAt,
};

/** Inserts the row (and what it waits on) unless one with its (chain, key) exists; returns whichever row is there. */
export async function insertOutboxRow(db: Executor, values: typeof chainOutbox.$inferInsert, dependsOn: readonly string[] = []) {
  const [inserted] = await db.insert(chainOutbox).values(values).onConflictDoNothing().returning({ id: chainOutbox.id });
  if (inserted) {
    const unique = [...new Set(dependsOn)];
    if (unique.length > 0) await db.insert(chainOutboxDependencies).values(unique.map((id) => ({ outboxId: inserted.id, dependsOn: id })));
    const [row] = await db.select(rowColumns).from(chainOutbox).where(eq(chainOutbox.id, inserted.id));
    return row!;
  }
  const [existing] = await db
    .select(rowColumns)
    .from(chainOutbox)
    .where(and(eq(chainOutbox.chainId, values.chainId), eq(chainOutbox.idempotencyKey, values.idempotencyKey)));
  if (!existing) throw new Error(`chain outbox: no row for ${values.idempotencyKey} after a conflicting insert`);
  return existing;
}

export async function findOutboxRow(db: Executor, chainId: number, idempotencyKey: string) {
  const [row] = await db.select(rowColumns).from(chainOutbox).where(and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.idempotencyKey, idempotencyKey)));
  return row ?? null;
}

export type OutboxRow = NonNullable<Awaited<ReturnType<typeof findOutboxRow>>>;

/** The rows among `keys` that exist on the chain. */
export async function findOutboxRows(db: Executor, chainId: number, keys: readonly string[]) {
  if (keys.length === 0) return [];
  return db.select(rowColumns).from(chainOutbox).where(and(eq(chainOutbox.chainId, chainId), inArray(chainOutbox.idempotencyKey, [...keys])));
}

/** Takes or renews the lease on a signer; false while another holder's lease runs. */
export async function acquireSenderLease(db: Db, lease: { chainId: number; address: string; holder: string; seconds: number }): Promise<boolean> {
  const expiresAt = sql`now() + make_interval(secs => ${lease.seconds})`;
  const rows = await db
    .insert(chainSenderLeases)
    .values({ chainId: lease.chainId, address: lease.address, holder: lease.holder, expiresAt: sql`${expiresAt}` })
    .onConflictDoUpdate({
      target: [chainSenderLeases.chainId, chainSenderLeases.address],
      set: { holder: lease.holder, expiresAt: sql`${expiresAt}` },
      setWhere: or(eq(chainSenderLeases.holder, lease.holder), lte(chainSenderLeases.expiresAt, sql`now()`)),
    })
    .returning({ holder: chainSenderLeases.holder });
  return rows.length === 1;
}

export async function releaseSenderLease(db: Db, lease: { chainId: number; address: string; holder: string }) {
  await db
    .delete(chainSenderLeases)
    .where(and(eq(chainSenderLeases.chainId, lease.chainId), eq(chainSenderLeases.address, lease.address), eq(chainSenderLeases.holder, lease.holder)));
}

/** Pending rows with a failed dependency fail too, saying which (the first by key, named by `describeKey`) and why. */
export async function failRowsBehindFailures(db: Db, chainId: number, describeKey: (key: string) => string) {
  const dep = alias(chainOutbox, "dep");
  const blocked = await db
    .selectDistinctOn([chainOutbox.id], { id: chainOutbox.id, depKey: dep.idempotencyKey, depError: dep.lastError })
    .from(chainOutbox)
    .innerJoin(chainOutboxDependencies, eq(chainOutboxDependencies.outboxId, chainOutbox.id))
    .innerJoin(dep, eq(dep.id, chainOutboxDependencies.dependsOn))
    .where(and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.status, "pending"), eq(dep.status, "failed")))
    .orderBy(chainOutbox.id, dep.idempotencyKey);
  for (const row of blocked) {
    await markFailed(db, row.id, `it waits on ${describeKey(row.depKey)}, which failed: ${row.depError ?? "no reason recorded"}`);
  }
}

/** What the sender should look at now: its sent rows by nonce, then pending rows (dependencies confirmed) oldest first. */
export async function dueRows(db: Db, chainId: number, fromAddress: string, limit: number): Promise<OutboxRow[]> {
  const dep = alias(chainOutbox, "dep");
  const due = and(eq(chainOutbox.chainId, chainId), lte(chainOutbox.nextAttemptAt, sql`now()`));
  const sent = await db
    .select(rowColumns)
    .from(chainOutbox)
    .where(and(due, eq(chainOutbox.status, "sent"), eq(chainOutbox.fromAddress, fromAddress)))
    .orderBy(asc(chainOutbox.nonce))
    .limit(limit);
  const unconfirmedDependency = db
    .select({ one: sql`1` })
    .from(chainOutboxDependencies)
    .innerJoin(dep, eq(dep.id, chainOutboxDependencies.dependsOn))
    .where(and(eq(chainOutboxDependencies.outboxId, chainOutbox.id), ne(dep.status, "confirmed")));
  const pending = await db
    .select(rowColumns)
    .from(chainOutbox)
    .where(and(due, eq(chainOutbox.status, "pending"), notExists(unconfirmedDependency)))
    .orderBy(asc(chainOutbox.createdAt), asc(chainOutbox.id))
    .limit(Math.max(0, limit - sent.length));
  return [...sent, ...pending];
}

/** The signer's sent rows (any due time), by nonce: the sender checks the nonce sequence on them. */
export async function sentRows(db: Db, chainId: number, fromAddress: string): Promise<OutboxRow[]> {
  return db
    .select(rowColumns)
    .from(chainOutbox)
    .where(and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.status, "sent"), eq(chainOutbox.fromAddress, fromAddress)))
    .orderBy(asc(chainOutbox.nonce));
}

export async function highestSentNonce(db: Db, chainId: number, fromAddress: string): Promise<number | null> {
  const [row] = await db
    .select({ nonce: max(chainOutbox.nonce) })
    .from(chainOutbox)
    .where(and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.status, "sent"), eq(chainOutbox.fromAddress, fromAddress)));
  return row?.nonce ?? null;
}

const after = (ms: number) => sql`now() + make_interval(secs => ${ms / 1000})`;

/** Stores the signed transaction before it is broadcast; false when the row is no longer pending. */
export async function markSigned(db: Db, id: string, tx: { fromAddress: string; nonce: number; txHash: string; rawTx: string }): Promise<boolean> {
  const rows = await db
    .update(chainOutbox)
    .set({ ...tx, status: "sent", sentAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(chainOutbox.id, id), eq(chainOutbox.status, "pending")))
    .returning({ id: chainOutbox.id });
  return rows.length === 1;
}

/** Broadcast (or found in a block but not deep enough): look again after `pollMs`. */
export async function markWaiting(db: Db, id: string, pollMs: number, blockNumber: number | null = null) {
  await db
    .update(chainOutbox)
    .set({ nextAttemptAt: after(pollMs), blockNumber, lastError: null, updatedAt: sql`now()` })
    .where(eq(chainOutbox.id, id));
}

export async function markConfirmed(db: Db, id: string, blockNumber: number) {
  await db
    .update(chainOutbox)
    .set({ status: "confirmed", blockNumber, lastError: null, confirmedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(chainOutbox.id, id));
}

export async function markFailed(db: Db, id: string, message: string, blockNumber: number | null = null) {
  await db.update(chainOutbox).set({ status: "failed", lastError: message, blockNumber, updatedAt: sql`now()` }).where(eq(chainOutbox.id, id));
}

/** The signed transaction can never be mined (its nonce went to another): sign the call again. */
export async function markForResigning(db: Db, id: string, message: string) {
  await db
    .update(chainOutbox)
    .set({ status: "pending", fromAddress: null, nonce: null, txHash: null, rawTx: null, blockNumber: null, lastError: message, updatedAt: sql`now()` })
    .where(and(eq(chainOutbox.id, id), eq(chainOutbox.status, "sent")));
}

/** A failed step: count it and wait base·2^attempts (at most `maxMs`) before the next. Rows settled or
 * rescheduled meanwhile are left alone. */
export async function backOff(db: Db, ids: string[], message: string, policy: { baseMs: number; maxMs: number }) {
  if (ids.length === 0) return;
  const wait = sql`least(${policy.baseMs / 1000}::float8 * power(2, ${chainOutbox.attempts}), ${policy.maxMs / 1000}::float8)`;
  await db
    .update(chainOutbox)
    .set({
      attempts: sql`${chainOutbox.attempts} + 1`,
      lastError: message,
      nextAttemptAt: sql`now() + make_interval(secs => ${wait})`,
      updatedAt: sql`now()`,
    })
    .where(and(inArray(chainOutbox.id, ids), inArray(chainOutbox.status, ["pending", "sent"]), lte(chainOutbox.nextAttemptAt, sql`now()`)));
}

/** Failed rows go back to the queue, to be estimated and signed afresh; others are left alone. */
export async function requeueFailedRows(db: Db, ids: string[]) {
  if (ids.length === 0) return 0;
  const rows = await db
    .update(chainOutbox)
    .set({ status: "pending", fromAddress: null, nonce: null, txHash: null, rawTx: null, blockNumber: null, attempts: 0, lastError: null, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(inArray(chainOutbox.id, ids), eq(chainOutbox.status, "failed")))
    .returning({ id: chainOutbox.id });
  return rows.length;
}

/**
 * The failed rows among `id`, what it waits on (directly or through others) and what waits on it:
 * what a retry sends again, so the row and the calls before and after it run in their order.
 */
export async function failedRowsAround(db: Db, id: string): Promise<string[]> {
  const d = chainOutboxDependencies;
  const rows = await rowsOf<{ id: string }>(db, sql`
    with recursive
      up(id) as (
        select ${d.dependsOn} from ${d} where ${d.outboxId} = ${id}
        union select ${d.dependsOn} from ${d} join up on ${d.outboxId} = up.id
      ),
      down(id) as (
        select ${d.outboxId} from ${d} where ${d.dependsOn} = ${id}
        union select ${d.outboxId} from ${d} join down on ${d.dependsOn} = down.id
      )
    select ${chainOutbox.id}::text as id from ${chainOutbox}
    where ${chainOutbox.status} = 'failed'
      and (${chainOutbox.id} = ${id} or ${chainOutbox.id} in (select id from up) or ${chainOutbox.id} in (select id from down))`);
  return rows.map((r) => r.id);
}

/** Rows not yet confirmed or failed on a chain, and the most recent problem among them (platform-level
 * problems only: a row's own revert fails it, so open rows carry node, fee and nonce trouble). */
export async function openRowsSummary(db: Db, chainId: number) {
  const open = and(eq(chainOutbox.chainId, chainId), inArray(chainOutbox.status, ["pending", "sent"]));
  const [counts] = await db.select({ pending: count() }).from(chainOutbox).where(open);
  const [failed] = await db.select({ failed: count() }).from(chainOutbox).where(and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.status, "failed")));
  const [problem] = await db
    .select({ message: chainOutbox.lastError, at: chainOutbox.updatedAt, attempts: chainOutbox.attempts, nextAttemptAt: chainOutbox.nextAttemptAt })
    .from(chainOutbox)
    .where(and(open, isNotNull(chainOutbox.lastError)))
    .orderBy(desc(chainOutbox.updatedAt))
    .limit(1);
  return { pending: counts?.pending ?? 0, failed: failed?.failed ?? 0, lastProblem: problem ?? null };
}

/** The commit of each version of a Datanet, by version number; its key is `keyPrefix` + the version's id. */
export async function datanetVersionCommits(db: Db, chainId: number, datanetId: string, keyPrefix: string) {
  return db
    .select({
      version: datanetVersions.number,
      status: chainOutbox.status,
      txHash: chainOutbox.txHash,
      blockNumber: chainOutbox.blockNumber,
      attempts: chainOutbox.attempts,
      lastError: chainOutbox.lastError,
      nextAttemptAt: chainOutbox.nextAttemptAt,
      confirmedAt: chainOutbox.confirmedAt,
    })
    .from(datanetVersions)
    .innerJoin(
      chainOutbox,
      and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.idempotencyKey, sql`${keyPrefix}::text || ${datanetVersions.id}::text`)),
    )
    .where(eq(datanetVersions.datanetId, datanetId))
    .orderBy(desc(datanetVersions.number));
}

/** A row's state as the pages show it (components/chain/commit-status.tsx). */
type CommitColumn = "status" | "txHash" | "blockNumber" | "attempts" | "lastError" | "nextAttemptAt";
const commitColumns = <T extends Record<CommitColumn, AnyPgColumn>>(o: T): Pick<T, CommitColumn> => ({
  status: o.status,
  txHash: o.txHash,
  blockNumber: o.blockNumber,
  attempts: o.attempts,
  lastError: o.lastError,
  nextAttemptAt: o.nextAttemptAt,
});

/** The registration of each version of an org's model, newest version first; its key is `keyPrefix` + the version's id. */
export async function modelRegistrationCommits(db: Db, chainId: number, orgId: string, modelId: string, keyPrefix: string) {
  return db
    .select({ version: sql<number>`${fineTunes.versionNumber}`, ...commitColumns(chainOutbox) })
    .from(fineTunes)
    .innerJoin(chainOutbox, and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.idempotencyKey, sql`${keyPrefix}::text || ${fineTunes.id}::text`)))
    .where(and(eq(fineTunes.orgId, orgId), eq(fineTunes.modelId, modelId), isNotNull(fineTunes.versionNumber)))
    .orderBy(desc(fineTunes.versionNumber));
}

/** The commit and (when the committer funds) the funding queued for each rolled-up epoch of an org's model, newest first. */
export async function modelEpochCommits(db: Db, chainId: number, orgId: string, modelId: string, limit: number) {
  const m = attributionEpochModels;
  const fund = alias(chainOutbox, "fund");
  return db
    .select({ epoch: m.epoch, version: sql<number>`${fineTunes.versionNumber}`, commit: commitColumns(chainOutbox), funding: commitColumns(fund) })
    .from(m)
    .innerJoin(fineTunes, eq(fineTunes.id, m.fineTuneId))
    .innerJoin(chainOutbox, and(eq(chainOutbox.chainId, chainId), eq(chainOutbox.idempotencyKey, m.commitKey)))
    .leftJoin(fund, and(eq(fund.chainId, chainId), eq(fund.idempotencyKey, m.fundKey)))
    .where(and(eq(m.orgId, orgId), eq(m.modelId, modelId), eq(m.chainId, chainId)))
    .orderBy(desc(m.epoch), desc(fineTunes.versionNumber))
    .limit(limit);
}

/** One rolled-up epoch of an org's model version, with the outbox keys it was queued under. */
export async function findEpochModel(db: Db, orgId: string, fineTuneId: string, epoch: number) {
  const m = attributionEpochModels;
  const [row] = await db
    .select({ chainId: m.chainId, commitKey: m.commitKey, fundKey: m.fundKey })
    .from(m)
    .where(and(eq(m.orgId, orgId), eq(m.fineTuneId, fineTuneId), eq(m.epoch, epoch)));
  return row ?? null;
}
