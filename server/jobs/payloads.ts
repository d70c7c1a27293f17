// Job payloads as stored (blob keys) and as leased (short-lived URLs signed for the worker).
// URLs are made at lease time so they are fresh however long the job waited in the queue.
import { z } from "zod";
import type { Job } from "@/server/db/schema";
import type { BlobStore } from "@/server/storage/types";
import { hostedModelFiles } from "./hosted-models";
import { finetunePayload, generatePayload, type JobPayload } from "./protocol";

const blobRef = z.object({ name: z.string(), key: z.string() });

export const storedFinetunePayload = finetunePayload.omit({ baseModelFiles: true, datasets: true, resume: true }).extend({
  datasets: z.array(z.object({ versionId: z.uuid(), key: z.string(), records: z.number().int().min(0) })).min(1),
});
export type StoredFinetunePayload = z.infer<typeof storedFinetunePayload>;

export const storedGeneratePayload = generatePayload.omit({ baseModelFiles: true, variants: true }).extend({
  variants: z.array(z.object({ name: z.string(), adapter: z.object({ files: z.array(blobRef).min(1) }).nullable() })).min(1),
});
export type StoredGeneratePayload = z.infer<typeof storedGeneratePayload>;

const checkpointSchema = z.object({ key: z.string(), step: z.number().int().min(0) });

/** Long enough to download a large snapshot on a slow link; a retried attempt gets new URLs. */
export const URL_SECONDS = 6 * 3600;

/**
 * The payload a worker gets: stored blob keys become signed URLs, and a base model the worker
 * does not list among its own (`ownModels`) comes as the hosted model's files.
 */
export async function toWirePayload(job: Pick<Job, "kind" | "payload" | "checkpoint">, store: BlobStore, ownModels: readonly string[]): Promise<JobPayload> {
  const sign = (key: string) => store.presignGet(key, { expiresInSeconds: URL_SECONDS });
  const filesOf = (baseModel: string) => (ownModels.includes(baseModel) ? null : hostedModelFiles(store, baseModel, URL_SECONDS));
  if (job.kind === "finetune") {
    const stored = storedFinetunePayload.parse(job.payload);
    const checkpoint = job.checkpoint ? checkpointSchema.parse(job.checkpoint) : null;
    return {
      ...stored,
      baseModelFiles: await filesOf(stored.baseModel),
      datasets: await Promise.all(stored.datasets.map(async (d) => ({ versionId: d.versionId, records: d.records, url: await sign(d.key) }))),
      resume: checkpoint ? { step: checkpoint.step, url: await sign(checkpoint.key) } : null,
    };
  }
  const stored = storedGeneratePayload.parse(job.payload);
  return {
    ...stored,
    baseModelFiles: await filesOf(stored.baseModel),
    variants: await Promise.all(
      stored.variants.map(async (v) => ({
        name: v.name,
        adapter: v.adapter ? { files: await Promise.all(v.adapter.files.map(async (f) => ({ name: f.name, url: await sign(f.key) }))) } : null,
      })),
    ),
  };
}

/** Where a job's worker may write: every artifact and checkpoint key starts with this. */
export const jobBlobPrefix = (jobId: string) => `jobs/${jobId}/`;
