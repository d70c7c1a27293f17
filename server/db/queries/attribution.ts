// Attribution queries: index rows and their build claims, inference attributions with their
// contributor shares, epoch roll-ups and their commits. Called by the services loops and the
// gateway with ids they already hold (no user request reaches them directly), so they key by
// those ids; the org of every row is stored for the dashboards' tenant filters. The one read a
// user asks for, claimableShares, is by wallet: a wallet's rewards belong to no org.
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db, Tx } from "../connect";
import {
  attributionEpochModels,
  attributionEpochs,
  attributionEpochShares,
  attributionIndexes,
  attributionRequests,
  datanetVersions,
  deployments,
  fineTuneDatasets,
  fineTunes,
  chainOutbox,
  inferenceAttributions,
  inferenceAttributionShares,
  models,
  users,
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
 * One row to queue, as the JSON object enqueueAttributionJson reads. The gateway makes it when a
 * call is answered and holds this one string until its batch is written, rather than the
 * objects it came from (fewer objects for each garbage collection to copy while they wait).
 */
export function attributionRowJson(r: RequestRow): string {
  return JSON.stringify({
    inference_id: r.inferenceId,
    org_id: r.orgId,
    fine_tune_id: r.fineTuneId,
    deployment_id: r.deploymentId ?? null,
    key_id: r.keyId ?? null,
    // Postgres text refuses NUL and a JSON escape of a lone surrogate: U+FFFD stands in for both, so one
    // such answer does not cost its batch the other calls.
    output: r.output.toWellFormed().replaceAll("\0", "\uFFFD"),
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    platform_bps: r.platformBps ?? 0,
    owner_bps: r.ownerBps ?? 0,
    contributors_bps: r.contributorsBps ?? 10000,
    inferred_at: r.inferredAt.toISOString(),
  });
}

/**
 * Queues inferences (rows of attributionRowJson) for attribution in one statement; an inference id
 * queued already is skipped, and so is an inference whose model version was deleted meanwhile
 * (with its model or org), so one such row does not cost the whole batch. The rows travel as one
 * JSON parameter read by json_to_recordset: building a statement of twelve bound values per row
 * took the gateway's thread 2-25 ms per 250 rows, four times a second at 1,000 requests/s.
 */
export async function enqueueAttributionJson(db: Db, rows: readonly string[]) {
  if (rows.length === 0) return;
  await db.execute(
    sql`insert into ${attributionRequests} (inference_id, org_id, fine_tune_id, deployment_id, key_id, output, prompt_tokens, completion_tokens, platform_bps, owner_bps, contributors_bps, inferred_at)
        select v.* from json_to_recordset(${`[${rows.join(",")}]`}::json) as v(inference_id text, org_id uuid, fine_tune_id uuid, deployment_id uuid, key_id uuid, output text, prompt_tokens int, completion_tokens int, platform_bps int, owner_bps int, contributors_bps int, inferred_at timestamptz)
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

/**
 * The epoch's amounts per model version: the contributors' summed per lowercase wallet (or per
 * contributor id where there is none), and per version its inferences, the owner's and the
 * platform's parts, and the wallet of the user who trained it (its owner's, for the owner's leaf).
 */
export async function epochAmounts(db: Db, epoch: number) {
  const wallet = sql<string | null>`lower(${inferenceAttributionShares.contributorWallet})`;
  const contributorId = sql<string | null>`case when ${inferenceAttributionShares.contributorWallet} is null then ${inferenceAttributionShares.contributorId} end`;
  const amounts = await db
    .select({ fineTuneId: inferenceAttributions.fineTuneId, wallet, contributorId, amount: sql<string>`sum(${inferenceAttributionShares.amount})::text` })
    .from(inferenceAttributionShares)
    .innerJoin(inferenceAttributions, eq(inferenceAttributionShares.attributionId, inferenceAttributions.id))
    .where(eq(inferenceAttributions.epoch, epoch))
    .groupBy(inferenceAttributions.fineTuneId, wallet, contributorId);
  const ownerWallet = sql<string | null>`lower(${users.walletAddress})`;
  const versions = await db
    .select({
      fineTuneId: inferenceAttributions.fineTuneId,
      orgId: inferenceAttributions.orgId,
      modelId: inferenceAttributions.modelId,
      inferences: sql<number>`count(*)::int`,
      contributorsAmount: sql<string>`sum(${inferenceAttributions.feeAmount})::text`,
      ownerAmount: sql<string>`sum(${inferenceAttributions.ownerAmount})::text`,
      platformAmount: sql<string>`sum(${inferenceAttributions.platformAmount})::text`,
      ownerWallet,
    })
    .from(inferenceAttributions)
    .innerJoin(fineTunes, eq(inferenceAttributions.fineTuneId, fineTunes.id))
    .leftJoin(users, eq(fineTunes.createdBy, users.id))
    .where(eq(inferenceAttributions.epoch, epoch))
    .groupBy(inferenceAttributions.fineTuneId, inferenceAttributions.orgId, inferenceAttributions.modelId, ownerWallet)
    .orderBy(inferenceAttributions.fineTuneId);
  return { amounts, versions };
}

type EpochModelRow = Omit<typeof attributionEpochModels.$inferInsert, "epoch">;
type EpochShareRow = Omit<typeof attributionEpochShares.$inferInsert, "epoch">;

/** Stores an epoch's roll-up, its versions and their shares; false (and nothing written) when the epoch has one already. */
export async function insertEpoch(db: Db, epochRow: typeof attributionEpochs.$inferInsert, versions: EpochModelRow[], shares: EpochShareRow[]) {
  return db.transaction(async (tx) => {
    const [inserted] = await tx.insert(attributionEpochs).values(epochRow).onConflictDoNothing().returning({ epoch: attributionEpochs.epoch });
    if (!inserted) return false;
    if (versions.length > 0) await tx.insert(attributionEpochModels).values(versions.map((v) => ({ ...v, epoch: epochRow.epoch })));
    if (shares.length > 0) await tx.insert(attributionEpochShares).values(shares.map((s) => ({ ...s, epoch: epochRow.epoch })));
    return true;
  });
}

/** A rolled-up epoch, its versions, and each version's shares by key; null before the roll-up. */
export async function findEpoch(db: Db, epoch: number) {
  const [row] = await db.select().from(attributionEpochs).where(eq(attributionEpochs.epoch, epoch));
  if (!row) return null;
  const versions = await db.select().from(attributionEpochModels).where(eq(attributionEpochModels.epoch, epoch)).orderBy(asc(attributionEpochModels.fineTuneId));
  const shares = await db
    .select({
      fineTuneId: attributionEpochShares.fineTuneId,
      contributorKey: attributionEpochShares.contributorKey,
      wallet: attributionEpochShares.wallet,
      contributorId: attributionEpochShares.contributorId,
      amount: attributionEpochShares.amount,
      proof: attributionEpochShares.proof,
    })
    .from(attributionEpochShares)
    .where(eq(attributionEpochShares.epoch, epoch))
    .orderBy(asc(attributionEpochShares.fineTuneId), asc(attributionEpochShares.contributorKey));
  return { ...row, versions: versions.map((v) => ({ ...v, shares: shares.filter((s) => s.fineTuneId === v.fineTuneId) })) };
}

/** Rolled-up versions with a reward tree whose commit is not queued yet, oldest epoch first. */
export async function epochModelsToCommit(db: Db, limit: number) {
  return db
    .select({ epoch: attributionEpochModels.epoch, fineTuneId: attributionEpochModels.fineTuneId, root: attributionEpochModels.root, total: attributionEpochModels.total })
    .from(attributionEpochModels)
    .where(and(isNotNull(attributionEpochModels.root), isNull(attributionEpochModels.queuedAt)))
    .orderBy(asc(attributionEpochModels.epoch), asc(attributionEpochModels.fineTuneId))
    .limit(limit);
}

/** Records where the commit went; false when another process queued it first (its transaction then rolls back). */
export async function markEpochModelQueued(db: Tx, key: { epoch: number; fineTuneId: string }, where: { chainId: number; rewardsAddress: string; commitKey: string; fundKey: string | null }) {
  const rows = await db
    .update(attributionEpochModels)
    .set({ ...where, queuedAt: sql`now()` })
    .where(and(eq(attributionEpochModels.epoch, key.epoch), eq(attributionEpochModels.fineTuneId, key.fineTuneId), isNull(attributionEpochModels.queuedAt)))
    .returning({ epoch: attributionEpochModels.epoch });
  return rows.length === 1;
}

/**
 * A wallet's shares in committed epochs, newest first, with what a claim needs: the version's
 * model id, the amount and proof, the contract, and the commit's and funding's outbox status.
 */
export async function claimableShares(db: Db, wallet: string) {
  const commit = alias(chainOutbox, "commit");
  const funding = alias(chainOutbox, "funding");
  return db
    .select({
      epoch: attributionEpochShares.epoch,
      fineTuneId: attributionEpochShares.fineTuneId,
      modelName: models.name,
      versionNumber: fineTunes.versionNumber,
      amount: attributionEpochShares.amount,
      proof: attributionEpochShares.proof,
      chainId: attributionEpochModels.chainId,
      rewardsAddress: attributionEpochModels.rewardsAddress,
      root: attributionEpochModels.root,
      commitStatus: commit.status,
      fundStatus: funding.status,
    })
    .from(attributionEpochShares)
    .innerJoin(attributionEpochModels, and(eq(attributionEpochModels.epoch, attributionEpochShares.epoch), eq(attributionEpochModels.fineTuneId, attributionEpochShares.fineTuneId)))
    .innerJoin(fineTunes, eq(fineTunes.id, attributionEpochShares.fineTuneId))
    .innerJoin(models, eq(models.id, fineTunes.modelId))
    .leftJoin(commit, and(eq(commit.chainId, attributionEpochModels.chainId), eq(commit.idempotencyKey, attributionEpochModels.commitKey)))
    .leftJoin(funding, and(eq(funding.chainId, attributionEpochModels.chainId), eq(funding.idempotencyKey, attributionEpochModels.fundKey)))
    .where(and(eq(attributionEpochShares.wallet, wallet.toLowerCase()), isNotNull(attributionEpochShares.proof), isNotNull(attributionEpochModels.queuedAt)))
    .orderBy(desc(attributionEpochShares.epoch), asc(models.name), asc(fineTunes.versionNumber))
    .limit(500);
}
