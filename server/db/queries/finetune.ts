// ModelFactory queries: trainable Datanet versions, models, fine-tune runs with their jobs.
import { and, desc, eq, inArray, max, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../connect";
import { datanets, datanetVersions, fineTuneDatasets, fineTunes, jobs, models, organizations, users } from "../schema";

const versionColumns = {
  versionId: datanetVersions.id,
  number: datanetVersions.number,
  recordCount: datanetVersions.recordCount,
  tokenCount: datanetVersions.tokenCount,
  snapshotBlobKey: datanetVersions.snapshotBlobKey,
  createdAt: datanetVersions.createdAt,
  datanetId: datanets.id,
  datanetName: datanets.name,
  datanetSlug: datanets.slug,
  recordFormat: datanets.recordFormat,
  visibility: datanets.visibility,
  ownerOrgName: organizations.name,
};

/** Versions an org may train on: its own Datanets' and every public Datanet's. */
const trainableBy = (orgId: string) => or(eq(datanets.orgId, orgId), eq(datanets.visibility, "public"));

export async function listTrainableVersions(db: Db, orgId: string) {
  return db
    .select({ ...versionColumns, own: sql<boolean>`${datanets.orgId} = ${orgId}` })
    .from(datanetVersions)
    .innerJoin(datanets, eq(datanetVersions.datanetId, datanets.id))
    .innerJoin(organizations, eq(datanets.orgId, organizations.id))
    .where(trainableBy(orgId))
    .orderBy(desc(sql`${datanets.orgId} = ${orgId}`), datanets.name, desc(datanetVersions.number))
    .limit(500);
}

export async function findTrainableVersions(db: Db, orgId: string, versionIds: string[]) {
  return db
    .select({ ...versionColumns, own: sql<boolean>`${datanets.orgId} = ${orgId}` })
    .from(datanetVersions)
    .innerJoin(datanets, eq(datanetVersions.datanetId, datanets.id))
    .innerJoin(organizations, eq(datanets.orgId, organizations.id))
    .where(and(inArray(datanetVersions.id, versionIds), trainableBy(orgId)));
}

export async function findModel(db: Db, orgId: string, slug: string) {
  const [row] = await db.select().from(models).where(and(eq(models.orgId, orgId), eq(models.slug, slug)));
  return row ?? null;
}

/** Version `versionNumber` of an org's model: its run's id. */
export async function findModelVersion(db: Db, orgId: string, modelId: string, versionNumber: number) {
  const [row] = await db
    .select({ id: fineTunes.id })
    .from(fineTunes)
    .where(and(eq(fineTunes.orgId, orgId), eq(fineTunes.modelId, modelId), eq(fineTunes.versionNumber, versionNumber)));
  return row ?? null;
}

export async function modelSlugTaken(db: Db, orgId: string, slug: string) {
  return (await findModel(db, orgId, slug)) !== null;
}

export async function insertModel(db: Tx, values: typeof models.$inferInsert) {
  const [row] = await db.insert(models).values(values).returning();
  if (!row) throw new Error("model insert returned no row");
  return row;
}

export async function insertFineTune(db: Tx, values: typeof fineTunes.$inferInsert, versionIds: string[]) {
  const [row] = await db.insert(fineTunes).values(values).returning({ id: fineTunes.id });
  if (!row) throw new Error("fine-tune insert returned no row");
  await db.insert(fineTuneDatasets).values(versionIds.map((datanetVersionId) => ({ fineTuneId: row.id, datanetVersionId })));
  return row;
}

const runColumns = {
  id: fineTunes.id,
  modelId: fineTunes.modelId,
  modelSlug: models.slug,
  modelName: models.name,
  baseModel: models.baseModel,
  versionNumber: fineTunes.versionNumber,
  taskTemplate: fineTunes.taskTemplate,
  hyperparameters: fineTunes.hyperparameters,
  exampleCount: fineTunes.exampleCount,
  tokenCount: fineTunes.tokenCount,
  estimate: fineTunes.estimate,
  adapter: fineTunes.adapter,
  metrics: fineTunes.metrics,
  evalReport: fineTunes.evalReport,
  createdAt: fineTunes.createdAt,
  jobId: jobs.id,
  status: jobs.status,
  progress: jobs.progress,
  error: jobs.error,
  attempts: jobs.attempts,
  maxAttempts: jobs.maxAttempts,
  startedAt: jobs.startedAt,
  finishedAt: jobs.finishedAt,
};

export async function listRuns(db: Db, orgId: string, modelId?: string) {
  return db
    .select(runColumns)
    .from(fineTunes)
    .innerJoin(models, eq(fineTunes.modelId, models.id))
    .innerJoin(jobs, eq(fineTunes.jobId, jobs.id))
    .where(and(eq(fineTunes.orgId, orgId), modelId ? eq(fineTunes.modelId, modelId) : undefined))
    .orderBy(desc(fineTunes.createdAt))
    .limit(200);
}

export async function findRun(db: Db, orgId: string, fineTuneId: string) {
  const [row] = await db
    .select(runColumns)
    .from(fineTunes)
    .innerJoin(models, eq(fineTunes.modelId, models.id))
    .innerJoin(jobs, eq(fineTunes.jobId, jobs.id))
    .where(and(eq(fineTunes.orgId, orgId), eq(fineTunes.id, fineTuneId)));
  if (!row) return null;
  const datasets = await db
    .select({ versionId: datanetVersions.id, number: datanetVersions.number, datanetName: datanets.name, datanetSlug: datanets.slug, own: sql<boolean>`${datanets.orgId} = ${orgId}` })
    .from(fineTuneDatasets)
    .innerJoin(datanetVersions, eq(fineTuneDatasets.datanetVersionId, datanetVersions.id))
    .innerJoin(datanets, eq(datanetVersions.datanetId, datanets.id))
    .where(eq(fineTuneDatasets.fineTuneId, fineTuneId));
  return { ...row, datasets };
}

/**
 * The Datanet versions a model version was trained on, by Datanet name: what its fee split pays
 * and what its registration on chain names. Keyed by the version id the caller already holds.
 */
export async function trainingDataOf(db: Db | Tx, fineTuneId: string) {
  return db
    .select({
      datanetId: datanets.id,
      datanetName: datanets.name,
      versionId: datanetVersions.id,
      number: datanetVersions.number,
      contributorCount: datanetVersions.contributorCount,
    })
    .from(fineTuneDatasets)
    .innerJoin(datanetVersions, eq(fineTuneDatasets.datanetVersionId, datanetVersions.id))
    .innerJoin(datanets, eq(datanetVersions.datanetId, datanets.id))
    .where(eq(fineTuneDatasets.fineTuneId, fineTuneId))
    .orderBy(datanets.name, datanetVersions.number);
}

/** What a model version's registration on chain says: its adapter, base model and the wallet of whoever trained it. */
export async function findVersionForRegistration(db: Db | Tx, fineTuneId: string) {
  const [row] = await db
    .select({ adapter: fineTunes.adapter, adapterSha256: fineTunes.adapterSha256, baseModel: models.baseModel, ownerWallet: users.walletAddress })
    .from(fineTunes)
    .innerJoin(models, eq(fineTunes.modelId, models.id))
    .leftJoin(users, eq(fineTunes.createdBy, users.id))
    .where(eq(fineTunes.id, fineTuneId));
  return row ?? null;
}

export async function setAdapterSha256(db: Db, fineTuneId: string, adapterSha256: string) {
  await db.update(fineTunes).set({ adapterSha256 }).where(eq(fineTunes.id, fineTuneId));
}

export async function findRunByJob(db: Tx, jobId: string) {
  const [row] = await db.select({ id: fineTunes.id, modelId: fineTunes.modelId }).from(fineTunes).where(eq(fineTunes.jobId, jobId));
  return row ?? null;
}

/** Gives a succeeded run the model's next version number; the model row lock serializes it. */
export async function assignVersion(db: Tx, fineTuneId: string, modelId: string, values: Pick<typeof fineTunes.$inferInsert, "adapter" | "adapterSha256" | "metrics" | "evalReport">) {
  await db.select({ id: models.id }).from(models).where(eq(models.id, modelId)).for("update");
  const [last] = await db.select({ n: max(fineTunes.versionNumber) }).from(fineTunes).where(eq(fineTunes.modelId, modelId));
  await db.update(fineTunes).set({ ...values, versionNumber: (last?.n ?? 0) + 1 }).where(eq(fineTunes.id, fineTuneId));
}

export async function listModels(db: Db, orgId: string) {
  // Counted in a grouped subquery: correlated subqueries in a single-table select lose their
  // table names in drizzle's SQL ("model_id" = "id"), which compares the wrong columns.
  const counts = db
    .select({
      modelId: fineTunes.modelId,
      runs: sql<number>`count(*)::int`.as("runs"),
      versions: sql<number>`count(${fineTunes.versionNumber})::int`.as("versions"),
    })
    .from(fineTunes)
    .where(eq(fineTunes.orgId, orgId))
    .groupBy(fineTunes.modelId)
    .as("counts");
  return db
    .select({
      id: models.id,
      slug: models.slug,
      name: models.name,
      baseModel: models.baseModel,
      createdAt: models.createdAt,
      versions: sql<number>`coalesce(${counts.versions}, 0)`,
      runs: sql<number>`coalesce(${counts.runs}, 0)`,
    })
    .from(models)
    .leftJoin(counts, eq(counts.modelId, models.id))
    .where(eq(models.orgId, orgId))
    .orderBy(desc(models.createdAt));
}
