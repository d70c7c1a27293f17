// Attribution queries: index rows and their build claims, inference attributions with their
// contributor shares, epoch roll-ups. Called by the services loops and the gateway with ids
// they already hold (no user request reaches them directly), so they key by those ids; the
// org of every row is stored for the dashboards' tenant filters.
import { and, asc, eq, gt, inArray, lt, lte, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../connect";
import {
  attributionEpochs,
  attributionEpochShares,
  attributionIndexes,
  attributionRequests,
  datanetVersions,
  deployments,
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

/** The model version (its fine_tunes id) a deployment serves, and the deployment's fee split. */
export async function findDeploymentVersion(db: Db, deploymentId: string) {
  const [row] = await db
    .select({ id: deployments.fineTuneId, orgId: deployments.orgId, platformBps: deployments.platformBps, ownerBps: deployments.ownerBps, contributorsBps: deployments.contributorsBps })
    .from(deployments)
    .where(eq(deployments.id, deploymentId));
  return row ?? null;
}

type RequestRow = Omit<typeof attributionRequests.$inferInsert, "id" | "status" | "attempts" | "notBefore" | "error" | "createdAt">;

/**
 * Queues inferences for attribution in one statement; an inference id queued already is skipped,
 * and so is an inference whose model version was deleted meanwhile (with its model or org), so
 * one such row does not cost the whole batch.
 */
export async function enqueueAttributionRequests(db: Db, rows: RequestRow[]) {
  if (rows.length === 0) return;
  const t = attributionRequests;
  const columns = [t.inferenceId, t.orgId, t.fineTuneId, t.deploymentId, t.keyId, t.output, t.promptTokens, t.completionTokens, t.platformBps, t.ownerBps, t.contributorsBps, t.inferredAt];
  const values = rows.map(
    (r) =>
      sql`(${r.inferenceId}, ${r.orgId}::uuid, ${r.fineTuneId}::uuid, ${r.deploymentId ?? null}::uuid, ${r.keyId ?? null}::uuid, ${r.output}, ${r.promptTokens}::int, ${r.completionTokens}::int, ${r.platformBps ?? 0}::int, ${r.ownerBps ?? 0}::int, ${r.contributorsBps ?? 10000}::int, ${r.inferredAt.toISOString()}::timestamptz)`,
  );
  const names = sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  await db.execute(
    sql`insert into ${t} (${names})
        select v.* from (values ${sql.join(values, sql`, `)}) as v(${names})
        where exists (select 1 from ${fineTunes} where ${fineTunes.id} = v.fine_tune_id)
        on conflict do nothing`,
  );
}

/**
 * Claims up to `limit` due requests, oldest first, and pushes each one's `notBefore` past
 * `leaseSeconds`: another consumer skips it meanwhile, and takes it over if this one stops.
 */
export async function claimAttributionRequests(db: Db, limit: number, leaseSeconds: number) {
  const due = db
    .select({ id: attributionRequests.id })
    .from(attributionRequests)
    .where(and(eq(attributionRequests.status, "pending"), lte(attributionRequests.notBefore, sql`now()`)))
    .orderBy(asc(attributionRequests.notBefore))
    .limit(limit)
    .for("update", { skipLocked: true });
  return db.transaction((tx) =>
    tx
      .update(attributionRequests)
      .set({ attempts: sql`${attributionRequests.attempts} + 1`, notBefore: sql`now() + make_interval(secs => ${leaseSeconds})` })
      .where(inArray(attributionRequests.id, due))
      .returning(),
  );
}

/** A request is done: the attribution is stored, the output need not be kept. */
export async function deleteAttributionRequest(db: Db, id: string) {
  await db.delete(attributionRequests).where(eq(attributionRequests.id, id));
}

/** Tries the request again after `delaySeconds`, or gives up on it (`failed`), with the reason. */
export async function deferAttributionRequest(db: Db, id: string, outcome: { retryInSeconds: number; error: string } | { failed: string }) {
  const set =
    "failed" in outcome
      ? { status: "failed" as const, error: outcome.failed }
      : { error: outcome.error, notBefore: sql`now() + make_interval(secs => ${outcome.retryInSeconds})` };
  await db.update(attributionRequests).set(set).where(eq(attributionRequests.id, id));
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

/**
 * Epochs before `before` that have attributions and no roll-up yet, oldest first. Epochs are
 * rolled up in order, so only those after the last rolled-up one are read.
 */
export async function epochsToRollUp(db: Db, before: number) {
  const [last] = await db.select({ epoch: sql<number | null>`max(${attributionEpochs.epoch})` }).from(attributionEpochs);
  const rows = await db
    .selectDistinct({ epoch: inferenceAttributions.epoch })
    .from(inferenceAttributions)
    .where(and(lt(inferenceAttributions.epoch, before), gt(inferenceAttributions.epoch, last?.epoch ?? -1)))
    .orderBy(asc(inferenceAttributions.epoch));
  return rows.map((r) => r.epoch);
}

/** The epoch's amounts summed per lowercase wallet, or per contributor id where there is no wallet. */
export async function epochAmounts(db: Db, epoch: number) {
  const wallet = sql<string | null>`lower(${inferenceAttributionShares.contributorWallet})`;
  const contributorId = sql<string | null>`case when ${inferenceAttributionShares.contributorWallet} is null then ${inferenceAttributionShares.contributorId} end`;
  const amounts = await db
    .select({ wallet, contributorId, amount: sql<string>`sum(${inferenceAttributionShares.amount})::text` })
    .from(inferenceAttributionShares)
    .innerJoin(inferenceAttributions, eq(inferenceAttributionShares.attributionId, inferenceAttributions.id))
    .where(eq(inferenceAttributions.epoch, epoch))
    .groupBy(wallet, contributorId);
  const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(inferenceAttributions).where(eq(inferenceAttributions.epoch, epoch));
  return { amounts, inferences: count?.n ?? 0 };
}

/** Stores an epoch's roll-up with its shares; false (and nothing written) when the epoch has one already. */
export async function insertEpoch(db: Db, epochRow: typeof attributionEpochs.$inferInsert, shares: Omit<typeof attributionEpochShares.$inferInsert, "epoch">[]) {
  return db.transaction(async (tx) => {
    const [inserted] = await tx.insert(attributionEpochs).values(epochRow).onConflictDoNothing().returning({ epoch: attributionEpochs.epoch });
    if (!inserted) return false;
    if (shares.length > 0) await tx.insert(attributionEpochShares).values(shares.map((s) => ({ ...s, epoch: epochRow.epoch })));
    return true;
  });
}

export async function findEpoch(db: Db, epoch: number) {
  const [row] = await db.select().from(attributionEpochs).where(eq(attributionEpochs.epoch, epoch));
  if (!row) return null;
  const shares = await db
    .select({ contributorKey: attributionEpochShares.contributorKey, wallet: attributionEpochShares.wallet, contributorId: attributionEpochShares.contributorId, amount: attributionEpochShares.amount })
    .from(attributionEpochShares)
    .where(eq(attributionEpochShares.epoch, epoch))
    .orderBy(asc(attributionEpochShares.contributorKey));
  return { ...row, shares };
}
