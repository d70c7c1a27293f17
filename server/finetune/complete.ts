// What a succeeded fine-tune leaves behind: the adapter's files (checked to be this job's and
// present), a new model version with its metrics and eval report, a pending
// attribution index that the services' index builder builds next (server/attribution/build.ts),
// and, with a chain, the version's registration in the chain outbox.
import type { ChainConfig } from "@/server/chain/config";
import { enqueueModelRegistration } from "@/server/chain/model-registrations";
import type { Tx } from "@/server/db/connect";
import { requestIndex } from "@/server/db/queries/attribution";
import { assignVersion, findRunByJob } from "@/server/db/queries/finetune";
import type { Job } from "@/server/db/schema";
import { jobBlobPrefix } from "@/server/jobs/payloads";
import type { FinetuneResult } from "@/server/jobs/protocol";
import type { BlobStore } from "@/server/storage/types";
import { ADAPTER_FILES } from "./adapter-files";

/** Says what is wrong with the result's artifacts, or null. */
export async function checkFineTuneArtifacts(store: BlobStore, jobId: string, result: FinetuneResult): Promise<string | null> {
  for (const file of ADAPTER_FILES) {
    if (!result.adapter.some((a) => a.name === file)) return `result.adapter must include ${file} (PEFT format).`;
  }
  for (const artifact of result.adapter) {
    if (!artifact.key.startsWith(jobBlobPrefix(jobId))) return `result.adapter ${artifact.name}: key must come from upload-url for this job.`;
    const info = await store.head(artifact.key);
    if (!info) return `result.adapter ${artifact.name}: nothing was uploaded at ${artifact.key}; upload it before completing.`;
    if (info.sizeBytes !== artifact.sizeBytes) return `result.adapter ${artifact.name}: ${info.sizeBytes} bytes were uploaded, the result says ${artifact.sizeBytes}.`;
  }
  return null;
}

/** Records the version in the job's completing transaction; the adapter's hash is computed before it (it reads the files). */
export async function recordFineTuneResult(tx: Tx, job: Job, result: FinetuneResult, options: { adapterSha256: string; chain?: ChainConfig | null }) {
  const run = await findRunByJob(tx, job.id);
  if (!run) throw new Error(`job ${job.id} has no fine-tune row`);
  await assignVersion(tx, run.id, run.modelId, {
    adapter: result.adapter.filter((a) => (ADAPTER_FILES as readonly string[]).includes(a.name)),
    adapterSha256: options.adapterSha256,
    metrics: result.metrics,
    evalReport: result.evalReport,
  });
  // Only the request, in the same transaction: building reads whole snapshots and must not hold
  // the worker's `complete` call, and a version can never end up without its index row.
  await requestIndex(tx, { id: run.id, orgId: job.orgId, modelId: run.modelId });
  await enqueueModelRegistration(tx, options.chain ?? null, run.id);
}
