// Launching a fine-tune from Datanet versions, and reading, cancelling and retrying runs.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { findModel, findRun, findTrainableVersions, insertFineTune, insertModel, listModels, listRuns, listTrainableVersions } from "@/server/db/queries/finetune";
import { slugify } from "@/server/db/queries/orgs";
import type { RecordFormat } from "@/server/db/schema";
import { type StoredFinetunePayload } from "@/server/jobs/payloads";
import { evalReportSchema, finetuneResult, hyperparametersSchema, metricPointSchema, progressSchema, taskTemplates, type Hyperparameters } from "@/server/jobs/protocol";
import { addEvent, cancelJob, enqueueJob, JobStateError, listJobEvents, markQueued, retryJob } from "@/server/jobs/queue";
import { availableModels } from "@/server/jobs/workers";
import type { OrgContext } from "@/server/orgs/orgs";
import type { BlobStore } from "@/server/storage/types";
import { catalog, findBaseModel, TINY_MODEL_ID, type BaseModel } from "./catalog";
import { ADAPTER_FILES } from "./adapter-files";
import { defaultHyperparameters, estimateRun, estimateSchema } from "./estimate";

export type TaskTemplate = (typeof taskTemplates)[number];

/** Which Datanet formats a template can train on. */
const templateFormats: Record<TaskTemplate, readonly RecordFormat[]> = {
  chat: ["chat", "instruction"],
  instruction: ["instruction", "chat"],
  text: ["text", "chat", "instruction"],
};

export async function catalogWithAvailability(db: Db, store: BlobStore, ctx: OrgContext) {
  const available = await availableModels(db, store, ctx.org.id);
  return catalog.map((m) => ({ ...m, available: available.has(m.id) }));
}

export async function trainableVersions(db: Db, ctx: OrgContext) {
  return listTrainableVersions(db, ctx.org.id);
}

export const planInput = z.object({
  baseModel: z.string().min(1).max(200),
  datanetVersionIds: z.array(z.uuid()).min(1, "Pick at least one Datanet version.").max(10),
  taskTemplate: z.enum(taskTemplates),
  hyperparameters: hyperparametersSchema.partial().default({}),
});

function requireBaseModel(id: string): BaseModel {
  const model = findBaseModel(id);
  if (!model) throw new TRPCError({ code: "BAD_REQUEST", message: `Unknown base model “${id}”. Pick one from the list.` });
  return model;
}

/** Checks the choice and returns the defaults merged with the user's values and the estimate. */
export async function planFineTune(db: Db, store: BlobStore, ctx: OrgContext, input: z.infer<typeof planInput>) {
  const model = requireBaseModel(input.baseModel);
  const versions = await findTrainableVersions(db, ctx.org.id, input.datanetVersionIds);
  const missing = input.datanetVersionIds.filter((id) => !versions.some((v) => v.versionId === id));
  if (missing.length) throw new TRPCError({ code: "NOT_FOUND", message: "A picked Datanet version does not exist or is not yours to train on. Pick again." });
  for (const v of versions) {
    if (!templateFormats[input.taskTemplate].includes(v.recordFormat)) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `${v.datanetName} v${v.number} holds ${v.recordFormat} records, which the ${input.taskTemplate} template cannot train on. Pick the text template or another Datanet.`,
      });
    }
  }
  const examples = versions.reduce((n, v) => n + v.recordCount, 0);
  const tokens = versions.reduce((n, v) => n + v.tokenCount, 0);
  if (examples < 2) throw new TRPCError({ code: "BAD_REQUEST", message: `The picked versions hold ${examples} record(s); a fine-tune needs at least 2. Add records and publish a new version.` });
  const hyperparameters: Hyperparameters = { ...defaultHyperparameters(model, examples), ...input.hyperparameters };
  if (hyperparameters.maxLength > model.contextLength) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `hyperparameters.maxLength: ${model.name} reads at most ${model.contextLength} tokens; use ${model.contextLength} or less.` });
  }
  const available = (await availableModels(db, store, ctx.org.id)).has(model.id);
  return { model, versions, hyperparameters, estimate: estimateRun(model, examples, tokens, hyperparameters), available };
}

export const launchInput = planInput.extend({
  /** An existing model to add a version to, or a name for a new one. */
  modelSlug: z.string().min(1).max(64).optional(),
  modelName: z.string().trim().min(2, "Name the model (at least 2 characters).").max(60).optional(),
});

/** Path segments under /[org]/models that a model slug would hide. */
const reservedModelSlugs = new Set(["new"]);

async function freeModelSlug(db: Db, orgId: string, name: string) {
  const base = slugify(name) || "model";
  for (let n = 1; ; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    if (!reservedModelSlugs.has(slug) && !(await findModel(db, orgId, slug))) return slug;
  }
}

export async function launchFineTune(db: Db, store: BlobStore, ctx: OrgContext, input: z.infer<typeof launchInput>) {
  const plan = await planFineTune(db, store, ctx, input);
  const existing = input.modelSlug ? await findModel(db, ctx.org.id, input.modelSlug) : null;
  if (input.modelSlug && !existing) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${input.modelSlug}” in this organization.` });
  if (existing && existing.baseModel !== plan.model.id) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `${existing.name} is built on ${existing.baseModel}; a new version must use the same base model, or start a new model.` });
  }
  if (!existing && !input.modelName) throw new TRPCError({ code: "BAD_REQUEST", message: "modelName: name the new model." });
  const payload: StoredFinetunePayload = {
    kind: "finetune",
    baseModel: plan.model.id,
    taskTemplate: input.taskTemplate,
    hyperparameters: plan.hyperparameters,
    datasets: plan.versions.map((v) => ({ versionId: v.versionId, key: v.snapshotBlobKey, records: v.recordCount })),
    checkpointEverySteps: Math.max(10, Math.ceil(plan.estimate.steps / 10)),
  };
  const slug = existing?.slug ?? (await freeModelSlug(db, ctx.org.id, input.modelName!));
  const { job, run } = await db.transaction(async (tx) => {
    const job = await enqueueJob(tx, {
      orgId: ctx.org.id,
      kind: "finetune",
      payload,
      requirements: { baseModel: plan.model.id, device: plan.model.id === TINY_MODEL_ID ? "any" : "cuda", minGpuMemoryGb: plan.model.trainMemoryGb },
      createdBy: ctx.userId,
      status: "validating",
    });
    const model = existing ?? (await insertModel(tx, { orgId: ctx.org.id, slug, name: input.modelName!, baseModel: plan.model.id, createdBy: ctx.userId }));
    const run = await insertFineTune(
      tx,
      {
        orgId: ctx.org.id,
        modelId: model.id,
        jobId: job.id,
        taskTemplate: input.taskTemplate,
        hyperparameters: plan.hyperparameters,
        exampleCount: plan.estimate.examples,
        tokenCount: plan.estimate.tokens,
        estimate: plan.estimate,
        createdBy: ctx.userId,
      },
      plan.versions.map((v) => v.versionId),
    );
    return { job, run };
  });
  // The snapshots must still be there: a worker would fail on a missing one much later.
  for (const v of plan.versions) {
    if (!(await store.head(v.snapshotBlobKey))) {
      await addEvent(db, job.id, "error", `The snapshot of ${v.datanetName} v${v.number} is missing from blob storage.`);
      await cancelJob(db, ctx.org.id, job.id, "validation");
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: `The snapshot file of ${v.datanetName} v${v.number} is missing from blob storage. Publish a new version and launch again.` });
    }
  }
  await markQueued(db, job.id);
  if (!plan.available) await addEvent(db, job.id, "warn", `No online worker can load ${plan.model.name} yet; the job waits in the queue until one connects.`);
  return { id: run.id, modelSlug: slug };
}

export const runIdInput = z.object({ runId: z.uuid() });

/** A run's JSON columns, typed for the UI; each was validated when written (launch, heartbeat, complete). */
const runJson = z.object({
  hyperparameters: hyperparametersSchema,
  estimate: estimateSchema,
  progress: progressSchema.nullable(),
  metrics: finetuneResult.shape.metrics.nullable(),
  evalReport: evalReportSchema.nullable(),
});

function typedRun<T extends Record<keyof z.infer<typeof runJson>, unknown>>(row: T) {
  return { ...row, ...runJson.parse(row) };
}

export async function requireRun(db: Db, ctx: OrgContext, runId: string) {
  const run = await findRun(db, ctx.org.id, runId);
  if (!run) throw new TRPCError({ code: "NOT_FOUND", message: "No such fine-tune in this organization." });
  return typedRun(run);
}

/** The adapter files of a succeeded run (server/finetune/complete.ts writes them). */
export const adapterFilesSchema = z.array(z.object({ name: z.string(), key: z.string(), sizeBytes: z.number() }));

export const adapterUrlInput = runIdInput.extend({ file: z.enum(ADAPTER_FILES) });

/** A short-lived download link to one file of a version's PEFT adapter. */
export async function adapterUrl(db: Db, store: BlobStore, ctx: OrgContext, input: z.infer<typeof adapterUrlInput>) {
  const run = await requireRun(db, ctx, input.runId);
  const file = adapterFilesSchema.nullable().parse(run.adapter)?.find((f) => f.name === input.file);
  if (!file) throw new TRPCError({ code: "NOT_FOUND", message: "This run has no adapter: one is made when training succeeds." });
  return { url: await store.presignGet(file.key, { expiresInSeconds: 600, fileName: `${run.modelSlug}-v${run.versionNumber}-${file.name}` }) };
}

export const runsInput = z.object({ modelSlug: z.string().min(1).max(64).optional() });

export async function runsOf(db: Db, ctx: OrgContext, input: z.infer<typeof runsInput>) {
  const model = input.modelSlug ? await findModel(db, ctx.org.id, input.modelSlug) : null;
  if (input.modelSlug && !model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${input.modelSlug}” in this organization.` });
  return (await listRuns(db, ctx.org.id, model?.id)).map(typedRun);
}

export const eventsInput = runIdInput.extend({ afterId: z.number().int().min(0).default(0) });

export async function runEvents(db: Db, ctx: OrgContext, input: z.infer<typeof eventsInput>) {
  const run = await requireRun(db, ctx, input.runId);
  const events = (await listJobEvents(db, ctx.org.id, run.jobId, input.afterId)) ?? [];
  return events.map((e) => ({ ...e, data: e.level === "metric" ? metricPointSchema.parse(e.data) : null }));
}

async function changeJob(action: () => Promise<unknown>) {
  try {
    await action();
  } catch (error) {
    if (error instanceof JobStateError) throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
    throw error;
  }
}

export async function cancelRun(db: Db, ctx: OrgContext & { userEmail: string }, input: z.infer<typeof runIdInput>) {
  const run = await requireRun(db, ctx, input.runId);
  await changeJob(() => cancelJob(db, ctx.org.id, run.jobId, ctx.userEmail));
}

export async function retryRun(db: Db, ctx: OrgContext & { userEmail: string }, input: z.infer<typeof runIdInput>) {
  const run = await requireRun(db, ctx, input.runId);
  await changeJob(() => retryJob(db, ctx.org.id, run.jobId, ctx.userEmail));
}

export async function modelsOf(db: Db, ctx: OrgContext) {
  return listModels(db, ctx.org.id);
}

export const modelSlugInput = z.object({ modelSlug: z.string().min(1).max(64) });

export async function modelWithVersions(db: Db, ctx: OrgContext, input: z.infer<typeof modelSlugInput>) {
  const model = await findModel(db, ctx.org.id, input.modelSlug);
  if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${input.modelSlug}” in this organization.` });
  const runs = (await listRuns(db, ctx.org.id, model.id)).map(typedRun);
  return { ...model, base: findBaseModel(model.baseModel) ?? null, runs };
}
