// Shared steps for the browser tests: unique accounts, sign-up and sign-in through the
// real forms, screenshots, a watch for server errors, and a raw tRPC call.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, type APIResponse, type Page } from "@playwright/test";

export const PASSWORD = "river-delta-42";

const screenshotDir = path.join("test-results", "screenshots");
const desktop = { width: 1280, height: 800 };
const mobile = { width: 390, height: 844 };

export interface Account {
  name: string;
  email: string;
  password: string;
}

/** A fresh account per call, so reruns against a reused server never collide. */
export function newAccount(label: string): Account {
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const name = `${label[0]?.toUpperCase()}${label.slice(1)} ${id}`;
  return { name, email: `${label}-${id}@example.org`, password: PASSWORD };
}

/** Submits the sign-up form on screen; `email: false` keeps the address an invite link prefilled. */
export async function fillSignUp(page: Page, account: Account, { email = true } = {}) {
  await page.getByLabel("Your name").fill(account.name);
  if (email) await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Signs up from /sign-up and waits for the personal org's overview. */
export async function signUp(page: Page, account: Account) {
  await page.goto("/sign-up");
  await fillSignUp(page, account);
  await expect(page.getByRole("heading", { level: 1, name: `${account.name}'s workspace` })).toBeVisible();
}

export async function signIn(page: Page, account: Pick<Account, "email" | "password">) {
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The org slug from a dashboard URL like http://host/acme/settings. */
export function orgSlugOf(page: Page): string {
  const slug = new URL(page.url()).pathname.split("/")[1];
  if (!slug) throw new Error(`Not on an organization page: ${page.url()}`);
  return slug;
}

/** A full-page screenshot at 1280px, and at 390px too when `alsoMobile`. */
export async function screenshot(page: Page, name: string, { alsoMobile = false } = {}) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.setViewportSize(desktop);
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
  if (alsoMobile) {
    await page.setViewportSize(mobile);
    await page.screenshot({ path: path.join(screenshotDir, `${name}-mobile.png`), fullPage: true });
    await page.setViewportSize(desktop);
  }
}

/** Records every 5xx response the page sees; check the list with `expect(...).toEqual([])`. */
export function watchServerErrors(page: Page): string[] {
  const failures: string[] = [];
  page.on("response", (response) => {
    if (response.status() >= 500) failures.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  return failures;
}

/** One tRPC mutation as the browser's signed-in user (page.request shares its cookies). */
export function trpcMutation(page: Page, procedure: string, input: unknown): Promise<APIResponse> {
  return page.request.post(`/api/trpc/${procedure}`, { data: { json: input } });
}

/** A tRPC mutation that must succeed; returns its (superjson) result. */
export async function trpcCall<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const response = await trpcMutation(page, procedure, input);
  expect(response.ok(), `${procedure} answered ${response.status()}: ${await response.text()}`).toBe(true);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** One tRPC query as the browser's signed-in user; returns its (superjson) result. */
export async function trpcQuery<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const response = await page.request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  expect(response.ok(), `${procedure} answered ${response.status()}: ${await response.text()}`).toBe(true);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** Polls an upload until its background validation or import has ended; returns the upload. */
export async function waitForUploadRun(page: Page, uploadId: string) {
  type Upload = { status: string; validRows: number; error: string | null };
  let upload: Upload | undefined;
  await expect
    .poll(async () => {
      upload = await trpcQuery<Upload>(page, "datanets.upload", { uploadId });
      return upload.status;
    }, { intervals: [100, 250, 500] })
    .not.toMatch(/^(validating|importing)$/);
  return upload!;
}

/** The tRPC error code (FORBIDDEN, NOT_FOUND, …) in a superjson error response, or null. */
export async function trpcErrorCode(response: APIResponse): Promise<string | null> {
  const body = (await response.json()) as { error?: { json?: { data?: { code?: string } } } };
  return body.error?.json?.data?.code ?? null;
}

/** Creates a worker token through the Workers page's dialog (the page must be open) and returns it as shown. */
export async function createWorkerToken(page: Page, name: string): Promise<string> {
  await page.getByRole("button", { name: "Create token" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Create a worker token" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByRole("dialog", { name: `Token “${name}” created` });
  await expect(shown.getByText("it is shown only this once")).toBeVisible();
  return shown.getByLabel("Worker token", { exact: true }).inputValue();
}
