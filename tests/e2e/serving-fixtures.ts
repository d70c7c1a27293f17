// A fine-tuned tiny-llama version deployed and Ready on the real worker, for the specs that call
// /v1 (the fine-tune wizard and the deploy dialog's own checks are in their specs).
import { expect, type Page } from "@playwright/test";
import { createWorkerToken, trpcCall, trpcQuery } from "./helpers";
import { RealWorker } from "./real-worker";

interface ServeOptions {
  baseURL: string;
  orgSlug: string;
  versionId: string;
  workerName: string;
  modelName: string;
  /** The deployment's name: the model callers pass. */
  deployName: string;
  /** Told the worker as soon as it starts, so the spec's afterAll can dispose of it if a step fails. */
  started: (worker: RealWorker) => void;
}

/** Starts a worker that trains and serves tiny-llama on the CPU, fine-tunes `versionId` briefly, deploys version 1 from the model page and waits for Ready. */
export async function serveFineTuned(page: Page, { baseURL, orgSlug, versionId, workerName, modelName, deployName, started }: ServeOptions) {
  await page.goto(`/${orgSlug}/workers`);
  const token = await createWorkerToken(page, workerName);
  await page.keyboard.press("Escape");
  const worker = RealWorker.start(baseURL, token, workerName, ["--serve", "--serve-port", "0", "--serve-model", "tiny-llama"]);
  started(worker);
  await page.reload();
  await expect(page.getByRole("row", { name: new RegExp(workerName) }).first(), worker.log).toContainText("Online", { timeout: 90_000 });

  const run = await trpcCall<{ id: string; modelSlug: string }>(page, "finetune.launch", {
    orgSlug,
    baseModel: "tiny-llama",
    datanetVersionIds: [versionId],
    taskTemplate: "chat",
    modelName,
    hyperparameters: { epochs: 1, batchSize: 4, maxLength: 64, evalFraction: 0.25 },
  });
  await expect
    .poll(async () => (await trpcQuery<{ status: string }>(page, "finetune.run", { orgSlug, runId: run.id })).status, { timeout: 180_000, intervals: [1000] })
    .toBe("succeeded");

  // Deploy version 1 from the model page, and wait for the worker to load the adapter.
  await page.goto(`/${orgSlug}/models/${run.modelSlug}`);
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  const deployDialog = page.getByRole("dialog", { name: "Deploy version 1" });
  await deployDialog.getByLabel("Name (the model callers pass)").fill(deployName);
  await deployDialog.getByRole("button", { name: "Deploy" }).click();
  await expect(page.getByRole("status", { name: "Deployment status" }), worker.log).toHaveText("Ready", { timeout: 120_000 });
  return { worker, modelSlug: run.modelSlug };
}
