// The attribution pages on the e2e server before any answer is attributed: each says what will
// appear and what to do next, a published version shows its commit as the chain indexer read it
// (the e2e server's local chain), unknown models and answers say so, and every page fits a 390px
// screen. Pages with attributions, claims and the Claim button's states are covered by
// tests/integration/attribution-dashboards.test.ts on the data side; the loop from a /v1 answer to
// a claim waits for the gateway's attribution and the epoch commits.
import { expect, test, type Page } from "@playwright/test";
import { publishedVersion } from "./models-fixtures";
import { newAccount, orgSlugOf, screenshot, signUp, watchServerErrors } from "./helpers";

let serverErrors: string[];

test.beforeEach(({ page }) => {
  serverErrors = watchServerErrors(page);
});

test.afterEach(() => {
  expect(serverErrors, "pages answered with server errors").toEqual([]);
});

/** How far the page scrolls sideways at 390 px, in CSS pixels (0 when it fits). */
async function sidewaysAt390(page: Page) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize({ width: 1280, height: 800 });
  return overflow;
}

test("a new contributor's earnings and the org's models say what will appear", async ({ page }) => {
  await signUp(page, newAccount("earner"));
  const orgSlug = orgSlugOf(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Attribution" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/attribution`);
  await expect(page.getByText("No earnings in the last 90 days")).toBeVisible();
  await expect(page.getByText("Link a wallet to receive rewards")).toBeVisible();
  await expect(page.getByRole("link", { name: "Link a wallet" })).toHaveAttribute("href", `/${orgSlug}/settings/account`);
  expect(await sidewaysAt390(page)).toBe(0);
  await screenshot(page, "attribution-earnings-empty", { alsoMobile: true });

  await page.getByLabel("Period").selectOption("30");
  await expect(page.getByText("No earnings in the last 30 days")).toBeVisible();

  await page.getByRole("navigation", { name: "Attribution sections" }).getByRole("link", { name: "Models" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/attribution/models`);
  await expect(page.getByText("No models yet")).toBeVisible();
  expect(await sidewaysAt390(page)).toBe(0);

  await page.goto(`/${orgSlug}/attribution/models/no-such-model`);
  await expect(page.getByRole("heading", { name: "No model “no-such-model”" })).toBeVisible();
  await page.goto(`/${orgSlug}/attribution/inferences/chatcmpl-unknown`);
  await expect(page.getByRole("heading", { name: "No attribution for this answer" })).toBeVisible();
  await expect(page.getByText(/may still be waiting in the attribution queue/)).toBeVisible();
});

test("a Datanet's Attribution tab shows its version committed on chain as indexed, before any earnings", async ({ page }) => {
  await signUp(page, newAccount("curator"));
  const orgSlug = orgSlugOf(page);
  const { datanetSlug } = await publishedVersion(page, orgSlug, "Tide Tables", 5);
  await page.goto(`/${orgSlug}/datanets/${datanetSlug}`);
  await page.getByRole("navigation", { name: "Datanet sections" }).getByRole("link", { name: "Attribution" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/datanets/${datanetSlug}/attribution`);
  const version = page.getByRole("row", { name: /^v1 / });
  // The sender commits the version and the indexer reads its event within seconds; the page refreshes on reload.
  await expect(async () => {
    await page.reload();
    await expect(version.getByText("Committed")).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(version.getByText(/^block \d+$/)).toBeVisible();
  await expect(version.getByText(/^tx 0x[0-9a-f]{8}…[0-9a-f]{4}$/)).toBeVisible();
  await expect(page.getByText("Registered on chain as")).toBeVisible();
  await expect(page.getByText("No earnings in the last 90 days")).toBeVisible();
  expect(await sidewaysAt390(page)).toBe(0);
  await screenshot(page, "attribution-datanet-tab", { alsoMobile: true });
});
