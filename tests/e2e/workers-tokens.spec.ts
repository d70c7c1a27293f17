// The Workers page: an admin creates a worker token (shown once, with the command that uses
// it), copies it, sees the worker that registers with it, and revokes another token; a member
// of the same org sees the workers but not the tokens.
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { newAccount, orgSlugOf, screenshot, createWorkerToken, signUp, trpcCall, watchServerErrors } from "./helpers";
import { FakeWorker } from "./models-fake-worker";

test.describe.configure({ mode: "serial" });

const admin = newAccount("workers-admin");
const member = newAccount("workers-member");
let adminContext: BrowserContext;
let adminPage: Page;
let memberContext: BrowserContext;
let memberPage: Page;
let orgSlug: string;
const errors: string[][] = [];

test.beforeAll(async ({ browser }) => {
  adminContext = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  adminPage = await adminContext.newPage();
  memberContext = await browser.newContext();
  memberPage = await memberContext.newPage();
  errors.push(watchServerErrors(adminPage), watchServerErrors(memberPage));
});

test.afterAll(async () => {
  await adminContext?.close();
  await memberContext?.close();
});

test.afterEach(() => {
  for (const list of errors) expect(list, "pages answered with server errors").toEqual([]);
});

test("an admin creates a worker token, sees it once and copies it", async () => {
  const page = adminPage;
  await signUp(page, admin);
  orgSlug = orgSlugOf(page);
  await page.goto(`/${orgSlug}/workers`);
  await expect(page.getByRole("heading", { level: 1, name: "Workers" })).toBeVisible();
  await expect(page.getByText("No workers connected")).toBeVisible();
  await expect(page.getByText("No worker tokens")).toBeVisible();
  await screenshot(page, "workers-empty", { alsoMobile: true });

  // A token needs a name.
  await page.getByRole("button", { name: "Create token" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Create a worker token" });
  await dialog.getByRole("button", { name: "Create token" }).click();
  await expect(dialog.getByText("Name the token after the machine or pool that will use it.")).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();

  const token = await createWorkerToken(page, "lab-box-1");
  expect(token).toMatch(/^trw_/);
  const shown = page.getByRole("dialog", { name: "Token “lab-box-1” created" });
  await expect(shown.getByLabel("Command to start a worker")).toContainText(`export TRIBUTARY_WORKER_TOKEN=${token}`);
  await expect(shown.getByLabel("Command to start a worker")).toContainText("tributary-worker --url http://127.0.0.1:3100");
  await shown.getByRole("button", { name: "Copy token" }).click();
  await expect(shown.getByRole("button", { name: "Copy token" })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  await screenshot(page, "workers-token-created");
  await shown.getByRole("button", { name: "Done" }).click();

  // Listed by prefix only; the token itself is gone for good.
  const row = page.getByRole("table", { name: "Worker tokens" }).getByRole("row", { name: /lab-box-1/ });
  await expect(row).toContainText(`${token.slice(0, 10)}…`);
  await expect(row).toContainText("Never");
  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);

  // A worker that registers with it shows up as online, with the models it can load.
  const worker = new FakeWorker(new URL(page.url()).origin, token, "gpu-box-1");
  await worker.register();
  const workers = page.getByRole("table", { name: "Workers" });
  await page.reload();
  const workerRow = workers.getByRole("row", { name: /gpu-box-1/ });
  await expect(workerRow).toContainText("Online");
  await expect(workerRow).toContainText("tiny-llama (test model)");
  await expect(workerRow).toContainText("Idle");
  await expect(row).not.toContainText("Never");
  await screenshot(page, "workers-list", { alsoMobile: true });
});

test("an admin revokes a token after confirming", async () => {
  const page = adminPage;
  const token = await createWorkerToken(page, "old-laptop");
  await page.getByRole("button", { name: "Done" }).click();
  const tokens = page.getByRole("table", { name: "Worker tokens" });
  await tokens.getByRole("button", { name: "Revoke token old-laptop" }).click();
  const confirm = page.getByRole("dialog", { name: "Revoke “old-laptop”?" });
  await confirm.getByRole("button", { name: "Keep token" }).click();
  await expect(tokens.getByRole("row", { name: /old-laptop/ })).toBeVisible();

  await tokens.getByRole("button", { name: "Revoke token old-laptop" }).click();
  await confirm.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByText("Token “old-laptop” revoked")).toBeVisible();
  await expect(tokens.getByRole("row", { name: /old-laptop/ })).toHaveCount(0);
  await expect(tokens.getByRole("row", { name: /lab-box-1/ })).toBeVisible();
  // The server refuses it from now on.
  await expect(new FakeWorker(new URL(page.url()).origin, token).register()).rejects.toThrow(/401/);
});

test("a member sees the workers but not the tokens", async () => {
  const { url } = await trpcCall<{ url: string }>(adminPage, "invites.create", { orgSlug, email: member.email, role: "member" });
  await signUp(memberPage, member);
  await trpcCall(memberPage, "invites.accept", { token: url.split("/").pop() });
  const page = memberPage;
  await page.goto(`/${orgSlug}/workers`);
  await expect(page.getByRole("table", { name: "Workers" }).getByRole("row", { name: /gpu-box-1/ })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Worker tokens" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Create token" })).toHaveCount(0);
  const response = await memberPage.request.get(`/api/trpc/workers.tokens?input=${encodeURIComponent(JSON.stringify({ json: { orgSlug } }))}`);
  expect(response.status()).toBe(403);
});
