// What the attribution dashboards read off-chain: a contributor's own earnings (by epoch and by
// model), a model's invocations, contributors and shares, an org's models, and one inference's
// attribution. Model and inference reads name the org in every where; a contributor's reads name
// the signed-in user (their id, and their linked wallet in the forms a snapshot may hold it).
import { and, asc, desc, eq, gte, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { getAddress, isAddress } from "viem";
import type { Db } from "../connect";
import {
  datanetRecords,
  datanets,
  deployments,
  fineTunes,
  inferenceAttributions,
  inferenceAttributionShares,
  memberships,
  models,
  organizations,
  users,
} from "../schema";

/** The signed-in contributor: shares name them by user id, or by the wallet their records carried. */
export interface Contributor {
  userId: string;
  wallet: string | null;
}

/** The forms a wallet may be stored in (EIP-55 from accounts, lower case from elsewhere), so the wallet index serves the lookup. */
export function walletForms(wallet: string): string[] {
  return isAddress(wallet, { strict: false }) ? [...new Set([getAddress(wallet), wallet.toLowerCase(), wallet])] : [wallet];
}

/** The contributor's share rows: theirs by user id, or by their wallet. */
export function ownShares(me: Contributor): SQL {
  const byId = eq(inferenceAttributionShares.contributorId, me.userId);
  return me.wallet ? or(byId, inArray(inferenceAttributionShares.contributorWallet, walletForms(me.wallet)))! : byId;
}

const a = inferenceAttributions;
const s = inferenceAttributionShares;
const sumAmount = sql<string>`coalesce(sum(${s.amount}), 0)::text`;
const inferenceCount = sql<number>`count(distinct ${a.id})::int`;

export async function contributorEarningsByEpoch(db: Db, me: Contributor, sinceEpoch: number) {
  return db
    .select({ epoch: a.epoch, amount: sumAmount, inferences: inferenceCount })
    .from(s)
    .innerJoin(a, eq(a.id, s.attributionId))
    .where(and(ownShares(me), gte(a.epoch, sinceEpoch)))
    .groupBy(a.epoch)
    .orderBy(asc(a.epoch));
}

/** Per model; `member` says whether the contributor may see the model's name (they belong to its org). */
export async function contributorEarningsByModel(db: Db, me: Contributor, sinceEpoch: number) {
  return db
    .select({
      modelId: a.modelId,
      name: models.name,
      slug: models.slug,
      orgSlug: organizations.slug,
      member: sql<boolean>`${memberships.userId} is not null`,
      amount: sumAmount,
      inferences: inferenceCount,
    })
    .from(s)
    .innerJoin(a, eq(a.id, s.attributionId))
    .innerJoin(models, eq(models.id, a.modelId))
    .innerJoin(organizations, eq(organizations.id, a.orgId))
    .leftJoin(memberships, and(eq(memberships.orgId, a.orgId), eq(memberships.userId, me.userId)))
    .where(and(ownShares(me), gte(a.epoch, sinceEpoch)))
    .groupBy(a.modelId, models.name, models.slug, organizations.slug, memberships.userId)
    .orderBy(desc(sql`sum(${s.amount})`));
}

/**
 * What the contributor's wallet earned per model version and epoch, all time: the leaves an epoch
 * commit of that model (or version) holds for them. Shares without a wallet are not in any tree.
 */
export async function walletEpochAmounts(db: Db, wallet: string) {
  return db
    .select({ modelId: a.modelId, fineTuneId: a.fineTuneId, epoch: a.epoch, amount: sumAmount })
    .from(s)
    .innerJoin(a, eq(a.id, s.attributionId))
    .where(inArray(s.contributorWallet, walletForms(wallet)))
    .groupBy(a.modelId, a.fineTuneId, a.epoch);
}

/** Earned in the window by the user's id on records that named no wallet: owed, but in no reward tree. */
export async function contributorEarnedWithoutWallet(db: Db, userId: string, sinceEpoch: number) {
  const [row] = await db
    .select({ amount: sumAmount })
    .from(s)
    .innerJoin(a, eq(a.id, s.attributionId))
    .where(and(eq(s.contributorId, userId), isNull(s.contributorWallet), gte(a.epoch, sinceEpoch)));
  return row?.amount ?? "0";
}

/** What each id names among models and model versions: a chain model id may name either. */
export async function modelsOrVersions(db: Db, ids: string[]) {
  if (ids.length === 0) return [];
  const columns = { modelId: models.id, name: models.name, slug: models.slug, orgId: models.orgId, orgSlug: organizations.slug };
  const [asModels, asVersions] = await Promise.all([
    db.select(columns).from(models).innerJoin(organizations, eq(organizations.id, models.orgId)).where(inArray(models.id, ids)),
    db
      .select({ ...columns, fineTuneId: fineTunes.id, versionNumber: fineTunes.versionNumber })
      .from(fineTunes)
      .innerJoin(models, eq(models.id, fineTunes.modelId))
      .innerJoin(organizations, eq(organizations.id, models.orgId))
      .where(inArray(fineTunes.id, ids)),
  ]);
  return [
    ...asModels.map((m) => ({ id: m.modelId, ...m, fineTuneId: null, versionNumber: null })),
    ...asVersions.map((v) => ({ id: v.fineTuneId, ...v })),
  ];
}

export async function memberOrgIds(db: Db, userId: string) {
  return (await db.select({ orgId: memberships.orgId }).from(memberships).where(eq(memberships.userId, userId))).map((r) => r.orgId);
}

// A model's page.

export async function modelInvocationsByEpoch(db: Db, orgId: string, modelId: string, sinceEpoch: number) {
  return db
    .select({
      epoch: a.epoch,
      inferences: sql<number>`count(*)::int`,
      spanMatched: sql<number>`(count(*) filter (where ${a.method} = 'spans'))::int`,
      fee: sql<string>`sum(${a.feeAmount})::text`,
    })
    .from(a)
    .where(and(eq(a.orgId, orgId), eq(a.modelId, modelId), gte(a.epoch, sinceEpoch)))
    .groupBy(a.epoch)
    .orderBy(asc(a.epoch));
}

export async function modelTopContributors(db: Db, orgId: string, modelId: string, sinceEpoch: number, limit: number) {
  return db
    .select({
      contributorKey: s.contributorKey,
      contributorId: s.contributorId,
      wallet: s.contributorWallet,
      name: users.name,
      amount: sumAmount,
      inferences: inferenceCount,
    })
    .from(s)
    .innerJoin(a, eq(a.id, s.attributionId))
    .leftJoin(users, eq(users.id, s.contributorId))
    .where(and(eq(a.orgId, orgId), eq(a.modelId, modelId), gte(a.epoch, sinceEpoch)))
    .groupBy(s.contributorKey, s.contributorId, s.contributorWallet, users.name)
    .orderBy(desc(sql`sum(${s.amount})`), asc(s.contributorKey))
    .limit(limit);
}

export async function modelSharesByEpoch(db: Db, orgId: string, modelId: string, sinceEpoch: number, contributorKeys: string[]) {
  if (contributorKeys.length === 0) return [];
  return db
    .select({ epoch: a.epoch, contributorKey: s.contributorKey, amount: sumAmount })
    .from(s)
    .innerJoin(a, eq(a.id, s.attributionId))
    .where(and(eq(a.orgId, orgId), eq(a.modelId, modelId), gte(a.epoch, sinceEpoch), inArray(s.contributorKey, contributorKeys)))
    .groupBy(a.epoch, s.contributorKey)
    .orderBy(asc(a.epoch));
}

/** The latest `limit` epochs the model has attributions in, with what they owe: the epochs a commit is due for. */
export async function modelEpochTotals(db: Db, orgId: string, modelId: string, limit: number) {
  return db
    .select({ epoch: a.epoch, fineTuneIds: sql<string[]>`array_agg(distinct ${a.fineTuneId}::text)`, inferences: sql<number>`count(*)::int`, fee: sql<string>`sum(${a.feeAmount})::text` })
    .from(a)
    .where(and(eq(a.orgId, orgId), eq(a.modelId, modelId)))
    .groupBy(a.epoch)
    .orderBy(desc(a.epoch))
    .limit(limit);
}

const inferenceColumns = {
  inferenceId: a.inferenceId,
  createdAt: a.createdAt,
  epoch: a.epoch,
  method: a.method,
  spanCount: sql<number>`jsonb_array_length(${a.spans})::int`,
  fee: a.feeAmount,
  versionNumber: fineTunes.versionNumber,
  deploymentName: deployments.name,
};

export async function modelRecentInferences(db: Db, orgId: string, modelId: string, limit: number) {
  return db
    .select(inferenceColumns)
    .from(a)
    .innerJoin(fineTunes, eq(fineTunes.id, a.fineTuneId))
    .leftJoin(deployments, eq(deployments.id, a.deploymentId))
    .where(and(eq(a.orgId, orgId), eq(a.modelId, modelId)))
    .orderBy(desc(a.createdAt), desc(a.id))
    .limit(limit);
}

/** The org's models with their attributed inferences in the window (models with none included). */
export async function orgModelsAttribution(db: Db, orgId: string, sinceEpoch: number) {
  return db
    .select({
      id: models.id,
      name: models.name,
      slug: models.slug,
      baseModel: models.baseModel,
      inferences: sql<number>`count(${a.id})::int`,
      fee: sql<string>`coalesce(sum(${a.feeAmount}), 0)::text`,
      lastAt: sql<Date | null>`max(${a.createdAt})`.mapWith((v: string | Date | null) => (v === null ? null : new Date(v))),
    })
    .from(models)
    .leftJoin(a, and(eq(a.modelId, models.id), eq(a.orgId, orgId), gte(a.epoch, sinceEpoch)))
    .where(eq(models.orgId, orgId))
    .groupBy(models.id, models.name, models.slug, models.baseModel)
    .orderBy(desc(sql`count(${a.id})`), asc(models.name));
}

// One inference.

export async function findOrgInference(db: Db, orgId: string, inferenceId: string) {
  const [row] = await db
    .select({
      ...inferenceColumns,
      id: a.id,
      modelId: a.modelId,
      fineTuneId: a.fineTuneId,
      modelName: models.name,
      modelSlug: models.slug,
      indexHash: a.indexHash,
      minWords: a.minWords,
      outputSha256: a.outputSha256,
      spans: a.spans,
    })
    .from(a)
    .innerJoin(models, eq(models.id, a.modelId))
    .innerJoin(fineTunes, eq(fineTunes.id, a.fineTuneId))
    .leftJoin(deployments, eq(deployments.id, a.deploymentId))
    .where(and(eq(a.orgId, orgId), eq(a.inferenceId, inferenceId)));
  return row ?? null;
}

export async function attributionShares(db: Db, attributionId: string) {
  return db
    .select({ contributorKey: s.contributorKey, contributorId: s.contributorId, wallet: s.contributorWallet, name: users.name, weight: s.weight, share: s.share, amount: s.amount })
    .from(s)
    .leftJoin(users, eq(users.id, s.contributorId))
    .where(eq(s.attributionId, attributionId))
    .orderBy(desc(s.share), asc(s.contributorKey));
}

/** The Datanet of each record id (ids that are not records are left out). */
export async function recordDatanets(db: Db, recordIds: string[]) {
  const ids = recordIds.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
  if (ids.length === 0) return [];
  return db
    .select({ recordId: datanetRecords.id, datanetId: datanets.id, name: datanets.name, slug: datanets.slug, orgId: datanets.orgId, orgSlug: organizations.slug })
    .from(datanetRecords)
    .innerJoin(datanets, eq(datanets.id, datanetRecords.datanetId))
    .innerJoin(organizations, eq(organizations.id, datanets.orgId))
    .where(inArray(datanetRecords.id, ids));
}
