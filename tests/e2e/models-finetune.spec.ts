// The ModelFactory pages in the browser: the empty states, the fine-tune wizard with its
// validation errors up to launch, and the run page through queued, running and succeeded, the
// model page with its eval report and playground, and cancel / retry. A fake worker speaks the
// worker protocol from the test, so every state is reached in seconds.
import { expect, test, type Page } from "@playwright/test";
import { newAccount, orgSlugOf, screenshot, signUp, trpcCall, watchServerErrors } from "./helpers";
import { FakeWorker, type LeasedJob } from "./models-fake-worker";
import { publishedVersion } from "./models-fixtures";

test.describe.configure({ mode: "serial" });

const owner = newAccount("modeller");
const stamp = Date.now().toString(36);
const datanetName = `Remedies ${stamp}`;
let page: Page;
let orgSlug: string;
let runUrl: string;
let worker: FakeWorker;
let errors: string[];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  errors = watchServerErrors(page);
});

test.afterAll(async () => {
  await page?.close();
});

test.afterEach(() => {
  expect(errors, "pages answered with server errors").toEqual([]);
});

test("with no published Datanet version, the Models page sends you to Datanets", async () => {
  await signUp(page, owner);
  orgSlug = orgSlugOf(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Models" }).click();
  // Public Datanets' versions are trainable by everyone: another spec may have published one.
  const trainable = await page.request.get(`/api/trpc/finetune.datasets?input=${encodeURIComponent(JSON.stringify({ json: { orgSlug } }))}`);
  const anyPublic = ((await trainable.json()) as { result: { data: { json: unknown[] } } }).result.data.json.length > 0;
  if (anyPublic) {
    await expect(page.getByText("No models yet")).toBeVisible();
  } else {
    await expect(page.getByText("No published Datanet version yet")).toBeVisible();
    await expect(page.getByRole("link", { name: "Go to Datanets" })).toHaveAttribute("href", `/${orgSlug}/datanets`);
  }
  await publishedVersion(page, orgSlug, datanetName);
  await page.reload();
  await expect(page.getByText("No models yet")).toBeVisible();
  await screenshot(page, "models-empty", { alsoMobile: true });
});

test("the wizard says what is missing at each step and checks the settings with the server", async () => {
  await page.getByRole("link", { name: "Fine-tune a model" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Fine-tune a model" })).toBeVisible();

  // 1. Data
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Pick at least one Datanet version.")).toBeVisible();
  await page.getByRole("checkbox", { name: new RegExp(`${datanetName} v1`) }).check();
  await expect(page.getByText("Pick at least one Datanet version.")).toHaveCount(0);
  await page.getByRole("button", { name: "Next" }).click();

  // 2. Base model: none is online here, and each can still be picked.
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Pick a base model.")).toBeVisible();
  const tiny = page.getByRole("radio", { name: /tiny-llama/ });
  await expect(page.locator("label").filter({ has: tiny })).toContainText("No worker can load this yet");
  await tiny.check();
  await screenshot(page, "models-wizard-base", { alsoMobile: true });
  await page.getByRole("button", { name: "Next" }).click();

  // 3. Task: the Datanet's format decides the default.
  await expect(page.getByRole("radio", { name: /Chat assistant \(suggested for your data\)/ })).toBeChecked();
  await page.getByRole("button", { name: "Next" }).click();

  // 4. Review: the plan in words, re-planned on every change; bad values are named next to their field.
  const plan = page.getByText(/passes? over your \d+ training examples/);
  await expect(plan).toContainText("3 passes over your 24 training examples (6 held out");
  await page.getByText("Advanced settings", { exact: true }).click();
  await page.getByLabel("LoRA rank").fill("1000");
  await expect(page.getByLabel("LoRA rank")).toHaveAccessibleDescription(/expected number to be <=256/);
  await page.getByLabel("LoRA rank").fill("8");
  await page.getByLabel("Max length (tokens)").fill("4096");
  await expect(page.getByLabel("Max length (tokens)")).toHaveAccessibleDescription(/reads at most 512 tokens; use 512 or less/);
  await screenshot(page, "models-wizard-errors", { alsoMobile: true });
  await page.getByLabel("Max length (tokens)").fill("256");
  await page.getByLabel("Epochs").fill("2");
  await expect(plan).toContainText("2 passes over your 24 training examples");

  // A new model needs a name.
  await page.getByRole("button", { name: "Launch fine-tune" }).click();
  await expect(page.getByLabel("Model name")).toHaveAccessibleDescription(/Name the model \(at least 2 characters\)/);
  await page.getByLabel("Model name").fill("Remedy helper");
  await page.getByRole("button", { name: "Launch fine-tune" }).click();
  await expect(page).toHaveURL(new RegExp(`/${orgSlug}/models/remedy-helper/runs/[0-9a-f-]{36}$`));
  runUrl = page.url();
});

test("a queued run waits for a worker, then shows progress, loss and log, and links to its version", async () => {
  await expect(page.getByRole("heading", { level: 1, name: "Training Remedy helper" })).toBeVisible();
  await expect(page.getByRole("status", { name: "Status" })).toHaveText("Queued");
  await expect(page.getByText("Waiting for a worker that can load tiny-llama (test model)")).toBeVisible();
  await expect(page.getByRole("link", { name: "see Workers" })).toHaveAttribute("href", `/${orgSlug}/workers`);
  await screenshot(page, "models-run-queued", { alsoMobile: true });

  const { token } = await trpcCall<{ token: string }>(page, "workers.createToken", { orgSlug, name: "e2e fake worker" });
  worker = new FakeWorker(new URL(page.url()).origin, token);
  await worker.register();
  const job = await worker.lease();
  for (let step = 1; step <= 6; step++) await worker.progress(job, step, 12);
  await worker.log(job, "warn", "2 examples were longer than 256 tokens and were cut.");
  await expect(page.getByRole("status", { name: "Status" })).toHaveText("Running");
  const progress = page.getByRole("progressbar", { name: "Training progress" });
  await expect(progress).toHaveAttribute("aria-valuenow", "6");
  await expect(progress).toHaveAttribute("aria-valuemax", "12");
  await expect(page.getByRole("img", { name: /Loss by training step/ })).toBeVisible();
  await expect(page.getByRole("list", { name: "Event log" })).toContainText("2 examples were longer than 256 tokens and were cut.");
  await expect(page.getByRole("button", { name: "Cancel" })).toBeVisible();
  await screenshot(page, "models-run-running", { alsoMobile: true });

  for (let step = 7; step <= 12; step++) await worker.progress(job, step, 12);
  await worker.completeFinetune(job, 12);
  await expect(page.getByRole("status", { name: "Status" })).toHaveText("Succeeded");
  await expect(progress).toHaveAttribute("aria-valuenow", "12");
  await expect(page.getByRole("list", { name: "Event log" })).toContainText("Succeeded.");
  await page.getByRole("link", { name: /Open version 1/ }).click();
});

test("the model page shows the version's evaluation and answers in the playground", async () => {
  await expect(page.getByRole("heading", { level: 1, name: "Remedy helper" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Versions" })).toContainText("3.410 → 0.710");
  await expect(page.getByRole("table", { name: "Sample answers" })).toContainText("A body temperature above 38 °C.");
  await page.getByLabel("Prompt").fill("What is ailment 3?");
  await page.getByRole("button", { name: "Ask" }).click();
  await expect(page.getByRole("region", { name: "Tuned model" })).toContainText("Waiting for a worker");
  const job: LeasedJob = await worker.lease();
  expect(job.kind).toBe("generate");
  await worker.answer(job, "ailment the of is is", "Ailment 3 is treated with rest and water.");
  await expect(page.getByRole("region", { name: "Base model" })).toContainText("ailment the of is is");
  await expect(page.getByRole("region", { name: "Tuned model" })).toContainText("Ailment 3 is treated with rest and water.");
  await expect(page.getByRole("region", { name: "Tuned model" })).toContainText("12 prompt tokens");
  await screenshot(page, "models-model-page", { alsoMobile: true });
});

test("a new version can be cancelled after confirming, and retried", async () => {
  await page.getByRole("link", { name: "Train a new version" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Train a new version" })).toBeVisible();
  await page.getByRole("checkbox", { name: new RegExp(`${datanetName} v1`) }).check();
  await page.getByRole("button", { name: "Next" }).click();
  // A new version keeps its model's base model, which is already picked.
  await expect(page.getByRole("radio")).toHaveCount(1);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByLabel("Model", { exact: true })).toHaveValue("remedy-helper");
  await page.getByRole("button", { name: "Launch fine-tune" }).click();
  await expect(page).toHaveURL(/\/models\/remedy-helper\/runs\//);
  expect(page.url()).not.toBe(runUrl);

  await expect(page.getByRole("status", { name: "Status" })).toHaveText("Queued");
  await page.getByRole("button", { name: "Cancel" }).click();
  const confirm = page.getByRole("dialog", { name: "Cancel this fine-tune?" });
  await confirm.getByRole("button", { name: "Cancel fine-tune" }).click();
  await expect(page.getByRole("status", { name: "Status" })).toHaveText("Cancelled");
  await expect(page.getByRole("list", { name: "Event log" })).toContainText(`Cancelled by ${owner.email}`);
  await page.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByRole("status", { name: "Status" })).toHaveText("Queued");
  // Leave nothing queued for the specs that run a real worker.
  await trpcCall(page, "finetune.cancel", { orgSlug, runId: page.url().split("/").pop() });

  await page.goto(`/${orgSlug}/models`);
  await expect(page.getByRole("list", { name: "Models" })).toContainText("Remedy helper");
  await expect(page.getByRole("table", { name: "Recent runs" }).getByRole("row")).toHaveCount(3);
  await screenshot(page, "models-list", { alsoMobile: true });
});
