// A 390px phone: the sidebar hides behind the Menu button, and pages fit the screen.
import { expect, test, type Page } from "@playwright/test";
import { newAccount, orgSlugOf, signUp, trpcMutation, watchServerErrors } from "./helpers";

test.use({ viewport: { width: 390, height: 844 } });

let serverErrors: string[];

test.beforeEach(({ page }) => {
  serverErrors = watchServerErrors(page);
});

test.afterEach(() => {
  expect(serverErrors, "pages answered with server errors").toEqual([]);
});

/** How far the page scrolls sideways, in CSS pixels (0 when it fits). */
function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test("the Menu button opens the sidebar, and Sign out works from it", async ({ page }) => {
  await signUp(page, newAccount("phone"));
  const orgSlug = orgSlugOf(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeHidden();

  await page.getByRole("button", { name: "Menu" }).click();
  await nav.getByRole("link", { name: "Datanets" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/datanets`);
  await expect(nav).toBeHidden();

  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
});

test("the members page fits a 390px screen", async ({ page }) => {
  await signUp(page, newAccount("narrow"));
  const orgSlug = orgSlugOf(page);
  await trpcMutation(page, "invites.create", { orgSlug, email: "pending-invitee@example.org", role: "viewer" });

  await page.goto(`/${orgSlug}/settings/members`);
  await expect(page.getByRole("cell", { name: "pending-invitee@example.org", exact: true })).toBeVisible();
  expect(await sidewaysOverflow(page), "members scrolls sideways").toBe(0);
});
