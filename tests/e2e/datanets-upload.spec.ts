// A large upload in the browser: the check runs on the server in the background, and the
// uploader shows its progress (percent, rows read, time left) by polling; cancelling it mid-way
// stops the run and leaves nothing. Then a small file is checked and imported the same way.
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { newAccount, orgSlugOf, screenshot, signUp, trpcCall, trpcQuery, watchServerErrors } from "./helpers";

let serverErrors: string[];
let dir: string;

test.beforeEach(({ page }) => {
  serverErrors = watchServerErrors(page);
});

test.afterEach(() => {
  expect(serverErrors, "pages answered with server errors").toEqual([]);
});

test.beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "tributary-e2e-upload-"));
});

test.afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const chat = (question: string, answer: string) => JSON.stringify({ messages: [{ role: "user", content: question }, { role: "assistant", content: answer }] });

/** A chat JSONL of about `megabytes` MiB with distinct rows, written to the temp folder. */
async function chatFile(name: string, megabytes: number): Promise<string> {
  const file = path.join(dir, name);
  const out = createWriteStream(file);
  for (let i = 0, written = 0; written < megabytes * 2 ** 20; i++) {
    const line = `${chat(`Question ${i}: what does finding ${i % 997} on a chest X-ray suggest?`, `Answer ${i}: it depends on the history; compare with earlier images and ask about symptoms.`)}\n`;
    written += line.length;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return file;
}

test("a large file is checked in the background with its progress shown, and cancelling it leaves nothing", async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, newAccount("uploader"));
  const orgSlug = orgSlugOf(page);
  const draft = await trpcCall<{ id: string; slug: string }>(page, "datanets.createDraft", { orgSlug, name: `Radiology Q&A ${Date.now().toString(36)}` });
  await trpcCall(page, "datanets.saveDraft", { orgSlug, datanetSlug: draft.slug, recordFormat: "chat" });
  await trpcCall(page, "datanets.activate", { orgSlug, datanetSlug: draft.slug });
  await page.goto(`/${orgSlug}/datanets/${draft.slug}/contribute`);
  await expect(page.getByText("Contribute records")).toBeVisible();

  await page.getByLabel("Files to upload").setInputFiles(await chatFile("radiology.jsonl", 96));
  const item = page.getByRole("listitem", { name: "radiology.jsonl" });
  await item.getByRole("button", { name: "Validate" }).click({ timeout: 60_000 });
  const bar = item.getByRole("progressbar", { name: "Checking radiology.jsonl" });
  await expect(bar).toBeVisible();
  await expect(item.getByText("Checking…")).toBeVisible();
  // Time left shows once the run has a few seconds of speed to go by.
  await expect(item.getByText(/^Checking the file: [\d,]+ rows so far, (less than a minute|about \d+ min) left\./)).toBeVisible();
  expect(Number(await bar.getAttribute("aria-valuenow"))).toBeGreaterThan(0);
  expect(Number(await bar.getAttribute("aria-valuenow"))).toBeLessThan(100);
  await screenshot(page, "datanet-upload-progress", { alsoMobile: true });

  // Other requests answer while the check runs.
  const started = Date.now();
  await trpcQuery(page, "datanets.openUploads", { datanetId: draft.id });
  expect(Date.now() - started).toBeLessThan(2000);

  await item.getByRole("button", { name: "Cancel upload" }).click();
  await expect(item).toHaveCount(0);
  expect(await trpcQuery(page, "datanets.openUploads", { datanetId: draft.id })).toEqual([]);

  // A small file goes through check and import, each ending by itself.
  await page.getByLabel("Files to upload").setInputFiles(await chatFile("small.jsonl", 0.01));
  const small = page.getByRole("listitem", { name: "small.jsonl" });
  await small.getByRole("button", { name: "Validate" }).click();
  await expect(small.getByText("Checked", { exact: true })).toBeVisible();
  const rows = Number((await small.getByText("Valid rows", { exact: true }).locator("..").locator("dd").textContent())!.replace(/,/g, ""));
  expect(rows).toBeGreaterThan(20);
  await small.getByRole("button", { name: `Import ${rows} rows` }).click();
  await expect(page.getByRole("list", { name: "Imported files" })).toContainText(`small.jsonl: ${rows} records added and accepted.`);
  await expect(small).toHaveCount(0);
});
