// A model version made the way a finished fine-tune makes it: the run's rows, its adapter files in
// blob storage, and the worker's `complete` recorded by recordFineTuneResult, which numbers the
// version and queues its registration on the chain (after its Datanet version's commit).
import type { ChainConfig } from "@/server/chain/config";
import type { Db } from "@/server/db/connect";
import { fineTuneDatasets, fineTunes, jobs, models } from "@/server/db/schema";
import { adapterSha256 } from "@/server/finetune/adapter-files";
import { recordFineTuneResult } from "@/server/finetune/complete";
import { jobBlobPrefix } from "@/server/jobs/payloads";
import type { FinetuneResult } from "@/server/jobs/protocol";
import { testBlobs } from "./context";

/** A new model `name` of `owner`'s org, trained on the Datanet version and completed; `chain` null queues nothing. */
export async function trainedThroughComplete(db: Db, owner: { orgId: string; userId: string }, chain: ChainConfig | null, datanetVersionId: string, name = "Herons") {
  const { orgId, userId } = owner;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const [model] = await db.insert(models).values({ orgId, slug, name, baseModel: "tiny-llama", createdBy: userId }).returning();
  const [job] = await db.insert(jobs).values({ orgId, kind: "finetune", status: "running", payload: {}, requirements: {} }).returning();
  const [run] = await db
    .insert(fineTunes)
    .values({ orgId, modelId: model!.id, jobId: job!.id, taskTemplate: "chat", hyperparameters: {}, exampleCount: 3, tokenCount: 60, estimate: {}, createdBy: userId })
    .returning();
  await db.insert(fineTuneDatasets).values({ fineTuneId: run!.id, datanetVersionId });
  const adapter = await Promise.all(
    ["adapter_config.json", "adapter_model.safetensors"].map(async (file) => {
      const key = `${jobBlobPrefix(job!.id)}${file}`;
      return { name: file, key, sizeBytes: (await testBlobs.put(key, `${file} of the ${slug} model`)).sizeBytes };
    }),
  );
  const result = {
    kind: "finetune",
    adapter,
    metrics: { trainLoss: 1.2, steps: 2, epochs: 1, trainExamples: 3, trainTokens: 60, trainSeconds: 1, truncatedExamples: 0 },
    evalReport: { examples: 0, baseLoss: null, tunedLoss: null, basePerplexity: null, tunedPerplexity: null, samples: [] },
  } as FinetuneResult;
  const hash = await adapterSha256(testBlobs, adapter);
  await db.transaction((tx) => recordFineTuneResult(tx, job!, result, { adapterSha256: hash, chain }));
  return { fineTuneId: run!.id, modelId: model!.id, modelSlug: slug, adapterHash: hash };
}
