// Deployments: a model version behind the gateway under a name callers pass as `model`.
// Deploy creates one (pending); activation preloads the adapter on the workers the gateway
// will route it to (loading) and ends ready, or failed with a reason a user can act on.
import { TRPCError } from "@trpc/server";
import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { findModel, listRuns, trainingDataOf } from "@/server/db/queries/finetune";
import { deployments, fineTunes, models, type DeploymentStatus } from "@/server/db/schema";
import { env } from "@/server/env";
import { adapterFilesSchema } from "@/server/finetune/fine-tunes";
import type { OrgContext } from "@/server/orgs/orgs";
import { checkFeeSplitSum, feeSplitFields, feeSplitSchema } from "./fee-split";
import type { Gateway } from "./gateway";
import { AFFINITY_WORKERS, onlineServingWorkers, rendezvousOrder } from "./routing";

export const deploymentNameSchema = z
  .string()
  .trim()
  .min(2, "name: use at least 2 characters.")
  .max(64, "name: use at most 64 characters.")
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "name: use lowercase letters, digits, '-', '.' and '_', starting with a letter or digit.");

export const deployInput = z.object({
  modelSlug: z.string().min(1).max(64),
  versionNumber: z.number().int().positive(),
  /** Default: `<model slug>-v<version>`. */
  name: deploymentNameSchema.optional(),
  /** Default: DEPLOYMENT_FEE_SPLIT (a stopped deployment deployed again keeps its own). */
  feeSplit: feeSplitSchema.optional(),
});
export const deploymentIdInput = z.object({ deploymentId: z.uuid() });
export const setFeeSplitInput = deploymentIdInput.extend(feeSplitFields).superRefine(checkFeeSplitSum);
export const deploymentNameInput = z.object({ name: z.string().min(1).max(64) });

/** A deployment left pending or loading this long lost its activation (a restarted server) and is activated again. */
const STALE_ACTIVATION_SECONDS = 120;

export const noWorkerMessage = (baseModel: string) =>
  `No online worker serves base model ${baseModel}: start one with --serve (see the Workers page), then deploy again.`;

const columns = {
  id: deployments.id,
  orgId: deployments.orgId,
  name: deployments.name,
  status: deployments.status,
  statusMessage: deployments.statusMessage,
  baseModel: deployments.baseModel,
  fineTuneId: deployments.fineTuneId,
  modelId: deployments.modelId,
  platformBps: deployments.platformBps,
  ownerBps: deployments.ownerBps,
  contributorsBps: deployments.contributorsBps,
  modelSlug: models.slug,
  modelName: models.name,
  versionNumber: fineTunes.versionNumber,
  createdAt: deployments.createdAt,
  updatedAt: deployments.updatedAt,
  readyAt: deployments.readyAt,
  stoppedAt: deployments.stoppedAt,
};

function selectDeployments(db: Db) {
  return db.select(columns).from(deployments).innerJoin(models, eq(deployments.modelId, models.id)).innerJoin(fineTunes, eq(deployments.fineTuneId, fineTunes.id));
}

export type DeploymentRow = Awaited<ReturnType<typeof listDeploymentRows>>[number];

async function listDeploymentRows(db: Db, orgId: string, modelId?: string) {
  return selectDeployments(db)
    .where(and(eq(deployments.orgId, orgId), modelId ? eq(deployments.modelId, modelId) : undefined))
    .orderBy(sql`${deployments.status} = 'stopped'`, desc(deployments.createdAt))
    .limit(500);
}

/**
 * A deployment as the gateway needs it, by the name callers use; stopped ones included so callers
 * can be told. Its fee split travels with it, so an answered call is queued for attribution with
 * the split in force when it was made.
 */
export async function findDeploymentForGateway(db: Db, orgId: string, name: string) {
  const [row] = await db
    .select({
      id: deployments.id,
      name: deployments.name,
      status: deployments.status,
      statusMessage: deployments.statusMessage,
      baseModel: deployments.baseModel,
      fineTuneId: deployments.fineTuneId,
      adapter: fineTunes.adapter,
      platformBps: deployments.platformBps,
      ownerBps: deployments.ownerBps,
      contributorsBps: deployments.contributorsBps,
    })
    .from(deployments)
    .innerJoin(fineTunes, eq(deployments.fineTuneId, fineTunes.id))
    .where(and(eq(deployments.orgId, orgId), eq(deployments.name, name)));
  if (!row) return null;
  const { adapter, platformBps, ownerBps, contributorsBps, ...rest } = row;
  return { ...rest, feeSplit: { platformBps, ownerBps, contributorsBps }, adapterFiles: (adapterFilesSchema.nullable().parse(adapter) ?? []).map((f) => ({ name: f.name, key: f.key })) };
}
export type GatewayDeployment = NonNullable<Awaited<ReturnType<typeof findDeploymentForGateway>>>;

/** Ready deployments of an org, optionally only those with the given ids (an API key's scope). */
export async function listCallableDeployments(db: Db, orgId: string, ids: string[] | null) {
  if (ids && ids.length === 0) return [];
  return db
    .select({ id: deployments.id, name: deployments.name, createdAt: deployments.createdAt })
    .from(deployments)
    .where(and(eq(deployments.orgId, orgId), eq(deployments.status, "ready"), ids ? inArray(deployments.id, ids) : undefined))
    .orderBy(deployments.name);
}

async function setStatus(db: Db, id: string, from: DeploymentStatus[], status: DeploymentStatus, statusMessage: string | null) {
  const [row] = await db
    .update(deployments)
    .set({ status, statusMessage, updatedAt: sql`now()`, ...(status === "ready" ? { readyAt: sql`now()` } : {}) })
    .where(and(eq(deployments.id, id), inArray(deployments.status, from)))
    .returning({ id: deployments.id });
  return Boolean(row);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Loads the adapter on the workers the gateway routes it to (its affinity workers), then marks
 * the deployment ready, or failed with why. Does nothing to a deployment stopped meanwhile.
 */
export async function activateDeployment(db: Db, gateway: Gateway, deploymentId: string): Promise<DeploymentStatus | null> {
  const [row] = await db
    .select({ orgId: deployments.orgId, baseModel: deployments.baseModel, fineTuneId: deployments.fineTuneId, adapter: fineTunes.adapter, status: deployments.status })
    .from(deployments)
    .innerJoin(fineTunes, eq(deployments.fineTuneId, fineTunes.id))
    .where(eq(deployments.id, deploymentId));
  if (!row || row.status === "stopped") return row?.status ?? null;
  const files = adapterFilesSchema.nullable().parse(row.adapter);
  if (!files?.length) {
    await setStatus(db, deploymentId, ["pending", "loading"], "failed", "This version has no adapter files; deploy a version whose training succeeded.");
    return "failed";
  }
  const pool = await onlineServingWorkers(db, row.orgId, row.baseModel);
  if (pool.length === 0) {
    await setStatus(db, deploymentId, ["pending", "loading"], "failed", noWorkerMessage(row.baseModel));
    return "failed";
  }
  const targets = rendezvousOrder(row.fineTuneId, pool).slice(0, AFFINITY_WORKERS);
  if (!(await setStatus(db, deploymentId, ["pending", "loading"], "loading", `Loading the adapter on ${plural(targets.length, "worker")}: ${targets.map((w) => w.name).join(", ")}.`))) return null;
  const results = await Promise.all(targets.map((w) => gateway.preload(w, row.fineTuneId, files)));
  const loaded = targets.filter((_, i) => results[i]!.ok);
  const failures = targets.flatMap((w, i) => {
    const r = results[i]!;
    return r.ok ? [] : [`${w.name}: ${r.message}`];
  });
  if (loaded.length > 0) {
    const ms = Math.max(...results.map((r) => (r.ok ? r.loadMs : 0)));
    const note = failures.length ? ` Not on ${failures.join("; ")}.` : "";
    return (await setStatus(db, deploymentId, ["loading"], "ready", `Loaded on ${loaded.map((w) => w.name).join(", ")} in ${Math.round(ms)} ms.${note}`)) ? "ready" : null;
  }
  const invalid = results.find((r) => !r.ok && r.status === 422);
  const message =
    invalid && !invalid.ok
      ? `The adapter does not load on ${row.baseModel}: ${invalid.message}`
      : `No worker could load the adapter (${failures.join("; ")}). Check the workers on the Workers page, then deploy again.`;
  return (await setStatus(db, deploymentId, ["loading"], "failed", message)) ? "failed" : null;
}

const activations = new Map<string, Promise<DeploymentStatus | null>>();

/** Starts activation in the background (once per deployment at a time); the promise settles with the status it reached. */
export function scheduleActivation(db: Db, gateway: Gateway, deploymentId: string): Promise<DeploymentStatus | null> {
  const running = activations.get(deploymentId);
  if (running) return running;
  const promise = activateDeployment(db, gateway, deploymentId)
    .catch(async (error: unknown) => {
      console.error("deployment activation failed", deploymentId, error);
      await setStatus(db, deploymentId, ["pending", "loading"], "failed", "Loading failed on the server; deploy again, and check the server log if it keeps happening.").catch(() => {});
      return "failed" as const;
    })
    .finally(() => activations.delete(deploymentId));
  activations.set(deploymentId, promise);
  return promise;
}

async function requireVersion(db: Db, orgId: string, modelSlug: string, versionNumber: number) {
  const model = await findModel(db, orgId, modelSlug);
  if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${modelSlug}” in this organization.` });
  const version = (await listRuns(db, orgId, model.id)).find((r) => r.versionNumber === versionNumber);
  if (!version || version.status !== "succeeded" || !adapterFilesSchema.nullable().parse(version.adapter)?.length) {
    throw new TRPCError({ code: "NOT_FOUND", message: `${model.name} has no trained version ${versionNumber}.` });
  }
  return { model, version };
}

async function freeName(db: Db, orgId: string, base: string) {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base.slice(0, 60)}-${n}`;
    const [taken] = await db.select({ status: deployments.status }).from(deployments).where(and(eq(deployments.orgId, orgId), eq(deployments.name, name)));
    if (!taken || taken.status === "stopped") return name;
  }
}

const isUniqueViolation = (error: unknown) => (error as { code?: string; cause?: { code?: string } }).code === "23505" || (error as { cause?: { code?: string } }).cause?.code === "23505";

/**
 * Deploys a succeeded model version under a name (a stopped deployment's name is reused, with its
 * id, so API keys scoped to it keep working). Refused when no online worker serves the base model.
 */
export async function createDeployment(db: Db, gateway: Gateway, ctx: OrgContext, input: z.infer<typeof deployInput>) {
  const { model, version } = await requireVersion(db, ctx.org.id, input.modelSlug, input.versionNumber);
  if ((await onlineServingWorkers(db, ctx.org.id, model.baseModel)).length === 0) throw new TRPCError({ code: "PRECONDITION_FAILED", message: noWorkerMessage(model.baseModel) });
  const name = input.name ?? (await freeName(db, ctx.org.id, `${model.slug}-v${input.versionNumber}`));
  const [existing] = await db.select({ id: deployments.id, status: deployments.status }).from(deployments).where(and(eq(deployments.orgId, ctx.org.id), eq(deployments.name, name)));
  if (existing && existing.status !== "stopped") throw new TRPCError({ code: "CONFLICT", message: `name: “${name}” is taken by a running deployment. Pick another name, or stop that deployment first.` });
  const values = { modelId: model.id, fineTuneId: version.id, baseModel: model.baseModel, status: "pending" as const, statusMessage: null, createdBy: ctx.userId, ...input.feeSplit };
  let id: string;
  try {
    if (existing) {
      await db.update(deployments).set({ ...values, stoppedAt: null, readyAt: null, createdAt: sql`now()`, updatedAt: sql`now()` }).where(eq(deployments.id, existing.id));
      id = existing.id;
    } else {
      const [row] = await db.insert(deployments).values({ ...env.DEPLOYMENT_FEE_SPLIT, ...values, orgId: ctx.org.id, name }).returning({ id: deployments.id });
      id = row!.id;
    }
  } catch (error) {
    if (isUniqueViolation(error)) throw new TRPCError({ code: "CONFLICT", message: `name: “${name}” was just taken. Pick another name.` });
    throw error;
  }
  const activation = scheduleActivation(db, gateway, id);
  return { id, name, activation };
}

/** A failed (or stopped) deployment tried again with the same version and name. */
export async function redeploy(db: Db, gateway: Gateway, ctx: OrgContext, deploymentId: string) {
  const row = await requireDeployment(db, ctx.org.id, deploymentId);
  if (row.status === "ready" || row.status === "loading" || row.status === "pending") return { id: row.id, activation: scheduleActivation(db, gateway, row.id) };
  await db
    .update(deployments)
    .set({ status: "pending", statusMessage: null, stoppedAt: null, updatedAt: sql`now()` })
    .where(and(eq(deployments.id, row.id), eq(deployments.orgId, ctx.org.id)));
  return { id: row.id, activation: scheduleActivation(db, gateway, row.id) };
}

export async function requireDeployment(db: Db, orgId: string, deploymentId: string) {
  const [row] = await selectDeployments(db).where(and(eq(deployments.orgId, orgId), eq(deployments.id, deploymentId)));
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No such deployment in this organization." });
  return row;
}

/** Restarts activations a restarted server left behind. */
function resumeStale(db: Db, gateway: Gateway, rows: DeploymentRow[]) {
  const cutoff = Date.now() - STALE_ACTIVATION_SECONDS * 1000;
  for (const r of rows) if ((r.status === "pending" || r.status === "loading") && r.updatedAt.getTime() < cutoff) void scheduleActivation(db, gateway, r.id);
}

/** Online serving workers per base model, for the rows' base models. */
async function servingCounts(db: Db, orgId: string, baseModels: string[]) {
  const counts = await Promise.all([...new Set(baseModels)].map(async (m) => [m, (await onlineServingWorkers(db, orgId, m)).length] as const));
  return new Map(counts);
}

export async function listDeployments(db: Db, gateway: Gateway, ctx: OrgContext) {
  const rows = await listDeploymentRows(db, ctx.org.id);
  resumeStale(db, gateway, rows);
  const counts = await servingCounts(db, ctx.org.id, rows.filter((r) => r.status !== "stopped").map((r) => r.baseModel));
  return rows.map((r) => ({ ...r, servingWorkers: counts.get(r.baseModel) ?? 0 }));
}

/** One deployment, with the Datanet versions its model version was trained on (the contributors its fee split pays). */
export async function getDeploymentByName(db: Db, gateway: Gateway, ctx: OrgContext, name: string) {
  const [row] = await selectDeployments(db).where(and(eq(deployments.orgId, ctx.org.id), eq(deployments.name, name)));
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `No deployment “${name}” in this organization.` });
  resumeStale(db, gateway, [row]);
  const [workers, training] = await Promise.all([onlineServingWorkers(db, ctx.org.id, row.baseModel), trainingDataOf(db, row.fineTuneId)]);
  return { ...row, servingWorkers: workers.length, training: training.map((t) => ({ datanetName: t.datanetName, number: t.number, contributorCount: t.contributorCount })) };
}

/** Changes the split of the deployment's future calls; calls made before keep the split they were made under. */
export async function setFeeSplit(db: Db, ctx: OrgContext, input: z.infer<typeof setFeeSplitInput>) {
  const { deploymentId, platformBps, ownerBps, contributorsBps } = input;
  const [row] = await db
    .update(deployments)
    .set({ platformBps, ownerBps, contributorsBps, updatedAt: sql`now()` })
    .where(and(eq(deployments.id, deploymentId), eq(deployments.orgId, ctx.org.id)))
    .returning({ id: deployments.id, platformBps: deployments.platformBps, ownerBps: deployments.ownerBps, contributorsBps: deployments.contributorsBps });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No such deployment in this organization." });
  return row;
}

/** What the model page needs: how many workers could serve it, and its versions' deployments. */
export async function deploymentsOfModel(db: Db, ctx: OrgContext, modelSlug: string) {
  const model = await findModel(db, ctx.org.id, modelSlug);
  if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${modelSlug}” in this organization.` });
  const [rows, workers] = await Promise.all([listDeploymentRows(db, ctx.org.id, model.id), onlineServingWorkers(db, ctx.org.id, model.baseModel)]);
  return { baseModel: model.baseModel, servingWorkers: workers.length, deployments: rows.filter((r) => r.status !== "stopped") };
}

/** Stops serving under this name; the adapter is evicted from workers unless another live deployment uses the same version. */
export async function stopDeployment(db: Db, gateway: Gateway, ctx: OrgContext, deploymentId: string) {
  const [row] = await db
    .update(deployments)
    .set({ status: "stopped", statusMessage: null, stoppedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(deployments.id, deploymentId), eq(deployments.orgId, ctx.org.id), ne(deployments.status, "stopped")))
    .returning({ id: deployments.id, fineTuneId: deployments.fineTuneId, baseModel: deployments.baseModel });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No running deployment with this id in this organization." });
  const [other] = await db
    .select({ id: deployments.id })
    .from(deployments)
    .where(and(eq(deployments.fineTuneId, row.fineTuneId), ne(deployments.status, "stopped")))
    .limit(1);
  const evicted = other ? Promise.resolve() : onlineServingWorkers(db, ctx.org.id, row.baseModel).then((pool) => Promise.all(pool.map((w) => gateway.evict(w, row.fineTuneId)))).then(() => {});
  return { id: row.id, evicted: evicted.catch(() => {}) };
}
