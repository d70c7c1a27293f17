// The model playground: one prompt answered by the base model and a tuned version side by
// side, as a high-priority generate job that a worker runs.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { findModel, listRuns } from "@/server/db/queries/finetune";
import type { StoredGeneratePayload } from "@/server/jobs/payloads";
import { chatMessageSchema, generateResult } from "@/server/jobs/protocol";
import { enqueueJob, getJob } from "@/server/jobs/queue";
import type { OrgContext } from "@/server/orgs/orgs";
import { findBaseModel, TINY_MODEL_ID } from "./catalog";
import { adapterFilesSchema } from "./fine-tunes";

export const askInput = z.object({
  modelSlug: z.string().min(1).max(64),
  versionNumber: z.number().int().positive(),
  messages: z.array(chatMessageSchema).min(1).max(50),
  maxTokens: z.number().int().min(1).max(1024).default(128),
  temperature: z.number().min(0).max(2).default(0),
  topP: z.number().gt(0).max(1).default(1),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
});

export async function ask(db: Db, ctx: OrgContext, input: z.infer<typeof askInput>) {
  const model = await findModel(db, ctx.org.id, input.modelSlug);
  if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${input.modelSlug}” in this organization.` });
  const version = (await listRuns(db, ctx.org.id, model.id)).find((r) => r.versionNumber === input.versionNumber);
  const files = adapterFilesSchema.nullable().parse(version?.adapter ?? null);
  if (!version || !files) throw new TRPCError({ code: "NOT_FOUND", message: `${model.name} has no version ${input.versionNumber}.` });
  const base = findBaseModel(model.baseModel);
  const payload: StoredGeneratePayload = {
    kind: "generate",
    baseModel: model.baseModel,
    variants: [
      { name: "base", adapter: null },
      { name: "tuned", adapter: { files: files.map((f) => ({ name: f.name, key: f.key })) } },
    ],
    messages: input.messages,
    maxTokens: input.maxTokens,
    temperature: input.temperature,
    topP: input.topP,
    seed: input.seed,
  };
  const job = await enqueueJob(db, {
    orgId: ctx.org.id,
    kind: "generate",
    payload,
    // Interactive: ahead of training jobs, and not worth many retries.
    priority: 10,
    maxAttempts: 2,
    requirements: {
      baseModel: model.baseModel,
      device: model.baseModel === TINY_MODEL_ID ? "any" : "cuda",
      minGpuMemoryGb: base && base.trainMemoryGb > 0 ? Math.ceil(base.parametersB * 2 + 2) : 0,
    },
    createdBy: ctx.userId,
  });
  return { jobId: job.id };
}

export const answerInput = z.object({ jobId: z.uuid() });

export async function answer(db: Db, ctx: OrgContext, input: z.infer<typeof answerInput>) {
  const job = await getJob(db, ctx.org.id, input.jobId);
  if (!job || job.kind !== "generate") throw new TRPCError({ code: "NOT_FOUND", message: "No such playground request." });
  return {
    status: job.status,
    error: job.error,
    outputs: job.status === "succeeded" ? generateResult.parse(job.result).outputs : [],
  };
}
