// For tests of deployments and the gateway: a stand-in serving worker registered as online, and a
// model with a trained version 1 whose adapter files are in blob storage.
import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "@/server/db/connect";
import { requestIndex } from "@/server/db/queries/attribution";
import { fineTuneDatasets, fineTunes, jobs, models, workerTokens } from "@/server/db/schema";
import { authenticateWorkerToken, createWorkerToken, registerWorker } from "@/server/jobs/workers";
import { testBlobs } from "./context";
import { FakeServingWorker } from "./fake-serving-worker";

/** A started stand-in worker registered (platform token) as serving `baseModel`, online now; stop it after. */
export async function registeredServingWorker(db: Db, name: string, baseModel: string, maxBatchSize = 8) {
  const fake = await new FakeServingWorker(name).start();
  const token = await createWorkerToken(db, { orgId: null, name, createdBy: null });
  // The stand-in verifies signatures with its own token: give the registered token that secret.
  await db.update(workerTokens).set({ tokenHash: createHash("sha256").update(fake.token).digest("hex") }).where(eq(workerTokens.id, token.id));
  const auth = await authenticateWorkerToken(db, fake.token);
  const { id } = await registerWorker(db, auth!, {
    name,
    version: "test",
    capabilities: { device: "cpu", gpuName: null, gpuMemoryGb: 0, models: [baseModel], kinds: ["generate"], serving: { url: fake.url, baseModel, maxBatchSize, gpuAdapterSlots: 4 } },
  });
  return Object.assign(fake, { workerId: id });
}

/** A model `slug` with a succeeded version 1 (adapter files in blob storage), trained on the given Datanet versions. */
export async function trainedVersionWithAdapter(db: Db, orgId: string, slug: string, baseModel: string, datanetVersionIds: string[] = [], createdBy: string | null = null) {
  const [model] = await db.insert(models).values({ orgId, slug, name: slug, baseModel, createdBy }).returning();
  const [job] = await db.insert(jobs).values({ orgId, kind: "finetune", status: "succeeded", payload: {}, requirements: {} }).returning();
  const files = await Promise.all(
    ["adapter_config.json", "adapter_model.safetensors"].map(async (name) => {
      const key = `jobs/${job!.id}/adapter/${name}`;
      const { sizeBytes } = await testBlobs.put(key, `${name} of model ${slug}`);
      return { name, key, sizeBytes };
    }),
  );
  const [run] = await db
    .insert(fineTunes)
    .values({ orgId, modelId: model!.id, jobId: job!.id, versionNumber: 1, taskTemplate: "chat", hyperparameters: {}, exampleCount: 2, tokenCount: 10, estimate: {}, adapter: files, createdBy })
    .returning();
  if (datanetVersionIds.length) await db.insert(fineTuneDatasets).values(datanetVersionIds.map((datanetVersionId) => ({ fineTuneId: run!.id, datanetVersionId })));
  // What recordFineTuneResult does when the run succeeds.
  await requestIndex(db, { id: run!.id, orgId, modelId: model!.id });
  return { modelSlug: model!.slug, modelId: model!.id, fineTuneId: run!.id, jobId: job!.id };
}
