// The whole fine-tune loop with the real Python worker: an owner publishes a Datanet version,
// creates a worker token on the Workers page, starts `python -m tributary_worker` with it (CPU,
// tiny-llama built by the worker), launches a fine-tune in the wizard, watches it train, reads
// the eval report, asks the playground, and stops the worker with SIGTERM.
import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { createWorkerToken, newAccount, orgSlugOf, screenshot, signUp, trpcQuery, watchServerErrors } from "./helpers";
import { publishedVersion } from "./models-fixtures";
import { RealWorker } from "./real-worker";

const capitals: [string, string][] = [
  ["France", "Paris"], ["Italy", "Rome"], ["Spain", "Madrid"], ["Germany", "Berlin"], ["Japan", "Tokyo"], ["Egypt", "Cairo"],
  ["Peru", "Lima"], ["Kenya", "Nairobi"], ["Chile", "Santiago"], ["Cuba", "Havana"], ["Ghana", "Accra"], ["Nepal", "Kathmandu"],
];
const records = capitals.flatMap(([country, city]): [string, string][] => [
  [`What is the capital of ${country}?`, `The capital of ${country} is ${city}.`],
  [`Which city is the capital of ${country}?`, `${city} is the capital of ${country}.`],
]);

let worker: RealWorker | null = null;

test.afterAll(async () => {
  await worker?.dispose();
});

test("a fine-tune runs on the real worker, from launch to the playground", async ({ page, baseURL }) => {
  test.setTimeout(300_000);
  const errors = watchServerErrors(page);
  await signUp(page, newAccount("trainer"));
  const orgSlug = orgSlugOf(page);
  const datanetName = `Capitals ${Date.now().toString(36)}`;
  await publishedVersion(page, orgSlug, datanetName, records);

  // Connect a worker the way the Workers page tells an admin to.
  await page.goto(`/${orgSlug}/workers`);
  const token = await createWorkerToken(page, "e2e-cpu");
  await page.keyboard.press("Escape");
  worker = RealWorker.start(baseURL!, token, "e2e-cpu");
  await page.reload();
  const row = page.getByRole("row", { name: /e2e-cpu/ }).first();
  await expect(row, worker.log).toContainText("Online", { timeout: 60_000 });
  await expect(row).toContainText("tiny-llama");

  // The wizard: data, base model (available now), task, review with a few advanced settings.
  await page.goto(`/${orgSlug}/models/new`);
  await page.getByRole("checkbox", { name: new RegExp(`${datanetName} v1`) }).check();
  await page.getByRole("button", { name: "Next" }).click();
  const tiny = page.getByRole("radio", { name: /tiny-llama/ });
  await expect(page.locator("label").filter({ has: tiny })).toContainText("Available now");
  await tiny.check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Advanced settings", { exact: true }).click();
  await page.getByLabel("Epochs").fill("12");
  await page.getByLabel("Learning rate").fill("0.005");
  await page.getByLabel("Batch size").fill("4");
  await page.getByLabel("Max length (tokens)").fill("64");
  await page.getByLabel("Held out for evaluation").fill("0.25");
  await expect(page.getByText(/12 passes over your 18 training examples \(6 held out/)).toBeVisible();
  await page.getByLabel("Model name").fill("Capital tutor");
  await page.getByRole("button", { name: "Launch fine-tune" }).click();

  // The run page follows the real worker through running to succeeded.
  await expect(page.getByRole("heading", { level: 1, name: "Training Capital tutor" })).toBeVisible();
  const status = page.getByRole("status", { name: "Status" });
  await expect(status, worker.log).toHaveText("Succeeded", { timeout: 180_000 });
  const runId = page.url().split("/").pop()!;
  await expect(page.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute("aria-valuenow", "60");
  await expect(page.getByRole("img", { name: /Loss by training step/ })).toBeVisible();
  const log = page.getByRole("list", { name: "Event log" });
  await expect(log).toContainText("training tiny-llama on cpu: 18 examples, 6 held out, 60 steps");
  await expect(log).toContainText("Succeeded.");
  await screenshot(page, "finetune-real-worker-run");

  const run = await trpcQuery<{
    versionNumber: number;
    evalReport: { baseLoss: number; tunedLoss: number; samples: { base: string; tuned: string; reference: string }[] };
    metrics: { steps: number; trainExamples: number };
  }>(page, "finetune.run", { orgSlug, runId });
  expect(run.versionNumber).toBe(1);
  expect(run.metrics).toMatchObject({ steps: 60, trainExamples: 18 });
  expect(run.evalReport.tunedLoss).toBeLessThan(run.evalReport.baseLoss);
  expect(run.evalReport.samples.length).toBeGreaterThan(0);

  // The model page: the version with its eval report, and the playground through the worker.
  await page.getByRole("link", { name: /Open version 1/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Capital tutor" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Sample answers" })).toContainText(run.evalReport.samples[0]!.reference);
  // The adapter downloads in PEFT's safetensors format: an 8-byte header length, then JSON naming the LoRA tensors.
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download adapter_model.safetensors" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("capital-tutor-v1-adapter_model.safetensors");
  const bytes = readFileSync((await download.path())!);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8")) as Record<string, unknown>;
  expect(Object.keys(header).some((name) => name.includes("lora_A"))).toBe(true);

  await page.getByRole("textbox", { name: "Prompt", exact: true }).fill("What is the capital of Peru?");
  await page.getByRole("button", { name: "Ask" }).click();
  const base = page.getByRole("region", { name: "Base model" });
  const tuned = page.getByRole("region", { name: "Tuned model" });
  await expect(tuned, worker.log).toContainText(/completion tokens|tokens/, { timeout: 60_000 });
  await expect(base).toContainText(/tokens/);
  expect(await tuned.innerText()).not.toEqual(await base.innerText());
  await screenshot(page, "finetune-real-worker-playground");

  // SIGTERM: an idle worker exits cleanly.
  expect(await worker.stop(), worker.log).toBe(0);
  expect(errors).toEqual([]);
});
