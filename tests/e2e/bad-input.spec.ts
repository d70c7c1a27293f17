// Wrong input and stale links: each gets a message a person can act on, on the page
// they were on, and never a server error.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { PASSWORD, fillSignUp, newAccount, orgSlugOf, signIn, signUp, trpcMutation, watchServerErrors } from "./helpers";

let serverErrors: string[];

test.beforeEach(({ page }) => {
  serverErrors = watchServerErrors(page);
});

test.afterEach(() => {
  expect(serverErrors, "pages answered with server errors").toEqual([]);
});

/** A second, signed-out browser session whose server errors count toward the test's. */
async function otherSession(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on("response", (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return page;
}

test("sign-up with an invalid email marks the Email field", async ({ page }) => {
  await page.goto("/sign-up");
  await fillSignUp(page, { ...newAccount("bad-email"), email: "not-an-email" });

  const email = page.getByLabel("Email");
  await expect(email).toHaveAttribute("aria-invalid", "true");
  await expect(email).toHaveAccessibleDescription(/Enter a valid email address/);
  await expect(page.getByLabel("Password")).not.toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL("/sign-up");
  await expect(page.getByRole("button", { name: "Create account" })).toBeEnabled();
});

test("sign-up with a weak password shows the password rule", async ({ page }) => {
  await page.goto("/sign-up");
  const password = page.getByLabel("Password");

  await fillSignUp(page, { ...newAccount("short"), password: "abc1" });
  await expect(password).toHaveAttribute("aria-invalid", "true");
  await expect(password).toHaveAccessibleDescription(/Use at least 10 characters\./);

  await fillSignUp(page, { ...newAccount("letters"), password: "onlyletters" });
  await expect(password).toHaveAccessibleDescription(/Mix letters with at least one digit or symbol\./);
  await expect(page).toHaveURL("/sign-up");
});

test("sign-up with an email that has an account says it already exists", async ({ page, browser }) => {
  const account = newAccount("dupe");
  await signUp(await otherSession(browser), account);

  await page.goto("/sign-up");
  await fillSignUp(page, { ...account, name: "Someone Else" });
  await expect(page.locator("form").getByRole("alert")).toHaveText("An account with this email already exists. Sign in instead.");
  await expect(page).toHaveURL("/sign-up");
});

test("sign-in with a wrong password is refused with one message", async ({ page, browser }) => {
  const account = newAccount("wrongpw");
  await signUp(await otherSession(browser), account);

  await page.goto("/sign-in");
  await signIn(page, { email: account.email, password: `${PASSWORD}-nope` });
  await expect(page.locator("form").getByRole("alert")).toHaveText("Email or password is incorrect.");
  await expect(page).toHaveURL("/sign-in");

  // An unknown email reads the same, so the form does not reveal who has an account.
  await signIn(page, { email: `nobody-${Date.now()}@example.org`, password: PASSWORD });
  await expect(page.locator("form").getByRole("alert")).toHaveText("Email or password is incorrect.");
});

test("an invite link works once, then says it was already used", async ({ page, browser }) => {
  const inviter = newAccount("inviter");
  const invitee = newAccount("invitee");
  await signUp(page, inviter);
  const orgSlug = orgSlugOf(page);
  // Setup through the API; the invite dialog itself is covered in org-lifecycle.spec.ts.
  const created = await trpcMutation(page, "invites.create", { orgSlug, email: invitee.email, role: "member" });
  expect(created.ok()).toBe(true);
  const { url } = ((await created.json()) as { result: { data: { json: { url: string } } } }).result.data.json;

  const guest = await otherSession(browser);
  await guest.goto(url);
  await guest.getByRole("link", { name: "Create account and join" }).click();
  await fillSignUp(guest, invitee, { email: false });
  await expect(guest).toHaveURL(`/${orgSlug}`);
  await expect(guest.getByText("You are member here.")).toBeVisible();

  await guest.goto(url);
  await expect(guest.getByText("This invite was already used", { exact: true })).toBeVisible();
  await expect(guest.getByRole("link", { name: "Create account and join" })).toHaveCount(0);

  // The same for someone who is not signed in.
  const stranger = await otherSession(browser);
  await stranger.goto(url);
  await expect(stranger.getByText("This invite was already used", { exact: true })).toBeVisible();
});

test("an unknown org address shows a not-found message", async ({ page }) => {
  await signUp(page, newAccount("lost"));
  const response = await page.goto("/no-such-org-xyz");
  expect(response?.status()).toBeLessThan(500);
  await expect(page.getByText("No organization “no-such-org-xyz”", { exact: true })).toBeVisible();
  await expect(page.getByText("Check the address or ask for an invite.")).toBeVisible();
  await page.getByRole("link", { name: "Go to your organizations" }).click();
  await expect(page.getByText("You are owner here.")).toBeVisible();
});

test("an over-long org address shows a not-found message", async ({ page }) => {
  await signUp(page, newAccount("long"));
  const slug = "a".repeat(65);
  const response = await page.goto(`/${slug}`);
  expect(response?.status()).toBeLessThan(500);
  await expect(page.getByText(`No organization “${slug}”`, { exact: true })).toBeVisible();
});

test("a malformed invite link says it is not valid", async ({ page }) => {
  const response = await page.goto("/invite/abc");
  expect(response?.status()).toBeLessThan(500);
  await expect(page.getByText("Invite link not valid", { exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Create account and join" })).toHaveCount(0);

  // Well-formed but unknown.
  await page.goto(`/invite/${"x".repeat(43)}`);
  await expect(page.getByText("Invite link not valid", { exact: true })).toBeVisible();
  await expect(page.getByText("This invite link is not valid. Ask the person who invited you for a new one.")).toBeVisible();
});

test("a malformed invite link explains itself in words", async ({ page }) => {
  await page.goto("/invite/abc");
  await expect(page.getByText("This invite link is malformed. Ask for a new one.", { exact: true })).toBeVisible({ timeout: 5_000 });
});
