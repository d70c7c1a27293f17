// An app builder's loop with the real Python worker serving: a fine-tuned tiny-llama version is
// deployed from its model page, a key is created on the API keys page and copied, the official
// `openai` npm client calls /v1/chat/completions with it, the call shows on the usage chart, and
// after the key is revoked the next call is refused with a 401.
import { expect, test, type Page } from "@playwright/test";
import OpenAI from "openai";
import { newAccount, orgSlugOf, screenshot, signUp, watchServerErrors } from "./helpers";
import { publishedVersion } from "./models-fixtures";
import type { RealWorker } from "./real-worker";
import { serveFineTuned } from "./serving-fixtures";

/** How far the page scrolls sideways on a 390px phone (0 when it fits; tables and code scroll inside themselves). */
async function phoneOverflow(page: Page): Promise<number> {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize({ width: 1280, height: 800 });
  return overflow;
}

const records: [string, string][] = ["Paris", "Rome", "Madrid", "Berlin", "Tokyo", "Cairo", "Lima", "Accra"].map((city, i) => [`Name capital number ${i}.`, `Capital number ${i} is ${city}.`]);

let worker: RealWorker | null = null;

test.afterAll(async () => {
  await worker?.dispose();
});

test("a deployed adapter is called with a copied key, metered, and refused once the key is revoked", async ({ page, context, baseURL }) => {
  test.setTimeout(420_000);
  const errors = watchServerErrors(page);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL! });
  await signUp(page, newAccount("builder"));
  const orgSlug = orgSlugOf(page);
  const { versionId } = await publishedVersion(page, orgSlug, `Capitals ${Date.now().toString(36)}`, records);

  // A worker that trains and serves tiny-llama on the CPU, and a short fine-tune of the records deployed on it.
  const deployName = "capital-tutor-api";
  ({ worker } = await serveFineTuned(page, { baseURL: baseURL!, orgSlug, versionId, workerName: "e2e-serve", modelName: "Capital tutor", deployName, started: (w) => (worker = w) }));

  // Create a key limited to this deployment, copy it, and check the clipboard holds what is shown.
  await page.goto(`/${orgSlug}/api-keys`);
  await page.getByRole("button", { name: "Create key" }).first().click();
  const create = page.getByRole("dialog", { name: "Create an API key" });
  await create.getByLabel("Name").fill("e2e app");
  await create.getByLabel("Only the ones I pick").check();
  await create.getByRole("checkbox", { name: new RegExp(deployName) }).check();
  await create.getByLabel("Requests per minute").fill("30");
  await create.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByRole("dialog", { name: "Key “e2e app” created" });
  await expect(shown.getByText("it is shown only this once")).toBeVisible();
  const secret = await shown.getByLabel("API key", { exact: true }).inputValue();
  expect(secret).toMatch(/^trb_[A-Za-z0-9_-]{43}$/);
  await shown.getByRole("button", { name: "Copy API key" }).click();
  await expect(shown.getByRole("button", { name: "Copy API key" })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await shown.getByRole("button", { name: "Done" }).click();
  const keyRow = page.getByRole("row", { name: /e2e app/ });
  await expect(keyRow).toContainText(secret.slice(0, 10));
  await expect(keyRow).toContainText(deployName);

  // The API page shows this server's base URL and the deployment as the model.
  await page.getByRole("link", { name: "Call the API" }).click();
  await expect(page.getByRole("combobox", { name: "Deployment (model)" })).toHaveValue(deployName);
  await page.getByRole("tab", { name: "JavaScript" }).click();
  await expect(page.getByLabel("JavaScript example", { exact: true })).toContainText(`baseURL: "${baseURL}/v1"`);
  await expect(page.getByLabel("JavaScript example", { exact: true })).toContainText(`model: "${deployName}"`);
  await screenshot(page, "api-quickstart", { alsoMobile: true });
  expect(await phoneOverflow(page), "the API page scrolls sideways at 390px").toBe(0);

  // The official client, with the copied key.
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: secret, maxRetries: 0 });
  const completion = await client.chat.completions.create({ model: deployName, messages: [{ role: "user", content: "Name capital number 3." }], max_tokens: 8, temperature: 0 });
  expect(completion.model).toBe(deployName);
  expect(typeof completion.choices[0]?.message.content).toBe("string");
  const usage = completion.usage!;
  expect(usage.prompt_tokens).toBeGreaterThan(0);
  expect(usage.completion_tokens).toBeGreaterThan(0);

  // The call on the usage chart: one request and exactly its tokens (usage writes are batched: reload until it shows).
  await page.goto(`/${orgSlug}/api-keys`);
  const summary = `1 request (0 errors) and ${usage.prompt_tokens + usage.completion_tokens} tokens in the last 30 days`;
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(summary)).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByRole("img", { name: /^Requests per day Requests: from 0 at day .* to 1 at day/ })).toBeVisible();
  // Last used is the only time of day in the row (created shows a date, expiry says Never).
  await expect(page.getByRole("row", { name: /e2e app/ })).toContainText(/\d{2}:\d{2} UTC/);
  await page.getByLabel("Key", { exact: true }).selectOption({ label: `e2e app (${secret.slice(0, 10)}…)` });
  await expect(page.getByText(summary)).toBeVisible();
  await screenshot(page, "api-keys-usage", { alsoMobile: true });
  expect(await phoneOverflow(page), "the API keys page scrolls sideways at 390px").toBe(0);

  // Revoke it: the very next call is refused.
  await page.getByRole("button", { name: "Revoke key e2e app" }).click();
  await page.getByRole("dialog", { name: "Revoke “e2e app”?" }).getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByRole("row", { name: /e2e app/ })).toHaveCount(0);
  const refused = await client.chat.completions.create({ model: deployName, messages: [{ role: "user", content: "Hello" }], max_tokens: 4 }).then(
    () => null,
    (error: unknown) => error,
  );
  expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
  expect((refused as Error).message).toMatch(/was revoked/);

  expect(await worker.stop(), worker.log).toBe(0);
  expect(errors).toEqual([]);
});
