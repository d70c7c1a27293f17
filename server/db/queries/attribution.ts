// Attribution queries: index rows and their build claims, inference attributions with their
// contributor shares, epoch roll-ups. Called by the services loops and the gateway with ids
// they already hold (no user request reaches them directly), so they key by those ids; the
// org of every row is stored for the dashboards' tenant filters.
import { and, asc, eq, lt, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../connect";
import {
  attributionEpochLeaves,
  attributionEpochs,
  attributionIndexes,
  datanetVersions,
  fineTuneDatasets,
  fineTunes,
  inferenceAttributions,
  inferenceAttributionShares,
} from "../schema";

export async function findModelVersion(db: Db | Tx, fineTuneId: string) {
  const [row] = await db
    .select({ id: fineTunes.id, orgId: fineTunes.orgId, modelId: fineTunes.modelId, versionNumber: fineTunes.versionNumber })
    .from(fineTunes)
    .where(eq(fineTunes.id, fineTuneId));
  return row ?? null;
}

/** The version's training snapshots in index order: ascending Datanet version id. */
export async function trainingSnapshots(db: Db, fineTuneId: string) {
  return db
    .select({ datanetVersionId: datanetVersions.id, key: datanetVersions.snapshotBlobKey })
    .from(fineTuneDatasets)
    .innerJoin(datanetVersions, eq(fineTuneDatasets.datanetVersionId, datanetVersions.id))
    .where(eq(fineTuneDatasets.fineTuneId, fineTuneId))
    .orderBy(asc(datanetVersions.id));
}

/** A pending index row for a newly trained version; nothing when it has one. */
export async function requestIndex(db: Db | Tx, version: { id: string; orgId: string; modelId: string }) {
  await db.insert(attributionIndexes).values({ fineTuneId: version.id, orgId: version.orgId, modelId: version.modelId }).onConflictDoNothing();
}

export async function findIndex(db: Db, fineTuneId: string) {
  const [row] = await db.select().from(attributionIndexes).where(eq(attributionIndexes.fineTuneId, fineTuneId));
  return row ?? null;
}

/**
 * Claims the version's index for building: pending or failed, or building but started more than
 * `staleSeconds` ago (its builder stopped). Null when another builder holds it or it is ready.
 */
export async function claimIndexBuild(db: Db, fineTuneId: string, staleSeconds: number) {
  const [row] = await db
    .update(attributionIndexes)
    .set({ status: "building", startedAt: sql`now()`, attempts: sql`${attributionIndexes.attempts} + 1`, error: null })
    .where(
      and(
        eq(attributionIndexes.fineTuneId, fineTuneId),
        or(
          eq(attributionIndexes.status, "pending"),
          eq(attributionIndexes.status, "failed"),
          and(eq(attributionIndexes.status, "building"), lt(attributionIndexes.startedAt, sql`now() - make_interval(secs => ${staleSeconds})`)),
        ),
      ),
    )
    .returning({ id: attributionIndexes.id, attempt: attributionIndexes.attempts });
  return row ?? null;
}

/** The oldest version whose index waits for a builder (pending, or building but stale). */
export async function nextIndexToBuild(db: Db, staleSeconds: number) {
  const [row] = await db
    .select({ fineTuneId: attributionIndexes.fineTuneId })
    .from(attributionIndexes)
    .where(
      or(
        eq(attributionIndexes.status, "pending"),
        and(eq(attributionIndexes.status, "building"), lt(attributionIndexes.startedAt, sql`now() - make_interval(secs => ${staleSeconds})`)),
      ),
    )
    .orderBy(asc(attributionIndexes.createdAt))
    .limit(1);
  return row?.fineTuneId ?? null;
}

type IndexResult = Pick<typeof attributionIndexes.$inferInsert, "indexHash" | "blobPrefix" | "snapshots" | "recordCount" | "textBytes" | "buildMs">;

/** Ends the build of claim `attempt`; false when a later builder took it over. */
export async function finishIndexBuild(db: Db, id: string, attempt: number, result: { ready: IndexResult } | { error: string }) {
  const set = "ready" in result ? { ...result.ready, status: "ready" as const, readyAt: sql`now()` } : { status: "failed" as const, error: result.error };
  const rows = await db
    .update(attributionIndexes)
    .set(set)
    .where(and(eq(attributionIndexes.id, id), eq(attributionIndexes.status, "building"), eq(attributionIndexes.attempts, attempt)))
    .returning({ id: attributionIndexes.id });
  return rows.length > 0;
}

export async function findAttribution(db: Db, inferenceId: string) {
  const [row] = await db.select().from(inferenceAttributions).where(eq(inferenceAttributions.inferenceId, inferenceId));
  if (!row) return null;
  const shares = await db.select().from(inferenceAttributionShares).where(eq(inferenceAttributionShares.attributionId, row.id));
  return { ...row, shares };
}

/** Inserts an attribution and its shares; false when the inference already has one. */
export async function insertAttribution(
  db: Db,
  row: typeof inferenceAttributions.$inferInsert,
  shares: Omit<typeof inferenceAttributionShares.$inferInsert, "attributionId">[],
) {
  return db.transaction(async (tx) => {
    const [inserted] = await tx.insert(inferenceAttributions).values(row).onConflictDoNothing().returning({ id: inferenceAttributions.id });
    if (!inserted) return false;
    if (shares.length > 0) await tx.insert(inferenceAttributionShares).values(shares.map((s) => ({ ...s, attributionId: inserted.id })));
    return true;
  });
}

/** Per wallet (lowercased), the sum of the epoch's amounts; wallet null for contributors without one. */
export async function epochAmounts(db: Db, epoch: number, modelId: string | null) {
  const wallet = sql<string | null>`lower(${inferenceAttributionShares.contributorWallet})`;
  const where = and(eq(inferenceAttributions.epoch, epoch), modelId ? eq(inferenceAttributions.modelId, modelId) : undefined);
  const amounts = await db
    .select({ wallet, amount: sql<string>`sum(${inferenceAttributionShares.amount})::text` })
    .from(inferenceAttributionShares)
    .innerJoin(inferenceAttributions, eq(inferenceAttributionShares.attributionId, inferenceAttributions.id))
    .where(where)
    .groupBy(wallet);
  const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(inferenceAttributions).where(where);
  return { amounts, inferences: count?.n ?? 0 };
}

/** Replaces the scope's roll-up of the epoch with this one, leaves included. */
export async function saveEpoch(
  db: Db,
  epochRow: Omit<typeof attributionEpochs.$inferInsert, "id" | "createdAt">,
  leaves: { wallet: string; amount: string; leaf: string }[],
) {
  return db.transaction(async (tx) => {
    await tx.delete(attributionEpochs).where(and(eq(attributionEpochs.scope, epochRow.scope), eq(attributionEpochs.epoch, epochRow.epoch)));
    const [row] = await tx.insert(attributionEpochs).values(epochRow).returning();
    if (leaves.length > 0) await tx.insert(attributionEpochLeaves).values(leaves.map((l) => ({ ...l, epochId: row!.id })));
    return row!;
  });
}

export async function epochLeaves(db: Db, epochId: string) {
  return db
    .select({ wallet: attributionEpochLeaves.wallet, amount: attributionEpochLeaves.amount, leaf: attributionEpochLeaves.leaf })
    .from(attributionEpochLeaves)
    .where(eq(attributionEpochLeaves.epochId, epochId))
    .orderBy(asc(attributionEpochLeaves.wallet));
}
