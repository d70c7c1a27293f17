// The main story, step by step in one browser session per person: an owner signs up,
// makes a second org and invites a viewer; the viewer joins through the link and is
// refused edits; the owner promotes them, then signs out and back in.
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import {
  fillSignUp,
  newAccount,
  orgSlugOf,
  screenshot,
  signIn,
  trpcErrorCode,
  trpcMutation,
  watchServerErrors,
} from "./helpers";

test.describe.configure({ mode: "serial" });

const owner = newAccount("owner");
const viewer = newAccount("viewer");
const teamName = `Delta Research ${Date.now().toString(36)}`;

const sections = [
  { label: "Datanets", shot: "datanets" },
  { label: "Models", shot: "models" },
  { label: "Deployments", shot: "deployments" },
  { label: "API keys", shot: "api-keys" },
  { label: "Attribution", shot: "attribution" },
  { label: "Workers", shot: "workers" },
] as const;

let ownerContext: BrowserContext;
let ownerPage: Page;
let ownerErrors: string[];
let viewerContext: BrowserContext;
let viewerPage: Page;
let viewerErrors: string[];
let personalSlug: string;
let teamSlug: string;
let inviteLink: string;

async function openSession(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  return { context, page, errors: watchServerErrors(page) };
}

test.beforeAll(async ({ browser }) => {
  ({ context: ownerContext, page: ownerPage, errors: ownerErrors } = await openSession(browser));
  ({ context: viewerContext, page: viewerPage, errors: viewerErrors } = await openSession(browser));
});

test.afterAll(async () => {
  await ownerContext?.close();
  await viewerContext?.close();
});

test.afterEach(() => {
  expect(ownerErrors, "owner's pages answered with server errors").toEqual([]);
  expect(viewerErrors, "viewer's pages answered with server errors").toEqual([]);
});

test("public pages render", async () => {
  const page = ownerPage;
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Fine-tuned models from community data");
  await screenshot(page, "landing");

  await page.getByRole("link", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to Tributary" })).toBeVisible();
  await screenshot(page, "sign-in");

  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { name: "Create your Tributary account" })).toBeVisible();
  await screenshot(page, "sign-up");
});

test("a new user signs up and lands in their personal org", async () => {
  const page = ownerPage;
  await fillSignUp(page, owner);
  await expect(page.getByRole("heading", { level: 1, name: `${owner.name}'s workspace` })).toBeVisible();
  personalSlug = orgSlugOf(page);
  expect(personalSlug).toBe(owner.email.split("@")[0]);
  await expect(page).toHaveURL(`/${personalSlug}`);
  await expect(page.getByRole("button", { name: /Organization/ })).toContainText(`${owner.name}'s workspace`);
  await expect(page.getByText("You are owner here.")).toBeVisible();
  await screenshot(page, "overview", { alsoMobile: true });
});

test("every sidebar section opens", async () => {
  const page = ownerPage;
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const section of sections) {
    await nav.getByRole("link", { name: section.label }).click();
    await expect(page).toHaveURL(`/${personalSlug}/${section.shot}`);
    await expect(page.getByRole("heading", { level: 1, name: section.label })).toBeVisible();
    await expect(nav.getByRole("link", { name: section.label })).toHaveAttribute("aria-current", "page");
    await screenshot(page, section.shot);
  }
  await nav.getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(`/${personalSlug}/settings`);
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(`${owner.name}'s workspace`);
  await screenshot(page, "settings");

  await page.getByRole("link", { name: "Your account" }).click();
  await expect(page).toHaveURL(`/${personalSlug}/settings/account`);
  await expect(page.getByText(owner.email).first()).toBeVisible();
  await screenshot(page, "account");
});

test("the owner creates a second organization from the switcher", async () => {
  const page = ownerPage;
  await page.getByRole("button", { name: /Organization/ }).click();
  const list = page.getByRole("list", { name: "Your organizations" });
  await expect(list.getByRole("link", { name: new RegExp(`${owner.name}'s workspace`) })).toHaveAttribute("aria-current", "true");
  await page.getByRole("button", { name: "+ New organization" }).click();

  const dialog = page.getByRole("dialog", { name: "New organization" });
  await dialog.getByLabel("Name", { exact: true }).fill(teamName);
  await dialog.getByRole("button", { name: "Create organization" }).click();
  await expect(dialog).toBeHidden();

  await expect(page.getByRole("heading", { level: 1, name: teamName })).toBeVisible();
  teamSlug = orgSlugOf(page);
  expect(teamSlug).not.toBe(personalSlug);
  await expect(page).toHaveURL(`/${teamSlug}`);
  await expect(page.getByRole("button", { name: /Organization/ })).toContainText(teamName);
});

test("the owner invites a viewer by email and gets a link", async () => {
  const page = ownerPage;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Members" }).click();
  await expect(page).toHaveURL(`/${teamSlug}/settings/members`);
  await expect(page.getByText("Only you so far.")).toBeVisible();

  await page.getByRole("button", { name: "Invite member" }).click();
  const dialog = page.getByRole("dialog", { name: "Invite a member" });
  await dialog.getByLabel("Email").fill(viewer.email);
  await dialog.getByLabel("Role").selectOption("viewer");
  await dialog.getByRole("button", { name: "Create invite" }).click();

  const link = dialog.getByRole("textbox", { name: "Invite link" });
  await expect(link).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  inviteLink = await link.inputValue();
  expect(new URL(inviteLink).origin).toBe("http://127.0.0.1:3100");
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toBeHidden();
  await screenshot(page, "members", { alsoMobile: true });
});

test("the invitee opens the link, signs up and joins as viewer", async () => {
  const page = viewerPage;
  await page.goto(inviteLink);
  await expect(page.getByRole("heading", { name: `Join ${teamName}` })).toBeVisible();
  await expect(page.getByText(`invited ${viewer.email} to join as viewer`)).toBeVisible();
  await screenshot(page, "invite");

  await page.getByRole("link", { name: "Create account and join" }).click();
  await expect(page.getByLabel("Email")).toHaveValue(viewer.email);
  await fillSignUp(page, viewer, { email: false });

  await expect(page.getByRole("heading", { level: 1, name: teamName })).toBeVisible();
  await expect(page).toHaveURL(`/${teamSlug}`);
  await expect(page.getByText("You are viewer here.")).toBeVisible();
});

test("the viewer cannot change the organization's settings", async () => {
  const page = viewerPage;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(`/${teamSlug}/settings`);
  await expect(page.getByText("Only owners and admins can change these.")).toBeVisible();
  await expect(page.getByText(`/${teamSlug}`, { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Save changes" })).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: "Name" })).toHaveCount(0);

  // The server refuses too, not only the UI.
  const response = await trpcMutation(page, "orgs.update", { orgSlug: teamSlug, name: "Taken over" });
  expect(response.status()).toBe(403);
  expect(await trpcErrorCode(response)).toBe("FORBIDDEN");

  await page.reload();
  await expect(page.getByText(teamName, { exact: true }).first()).toBeVisible();
});

test("the owner makes the viewer a member, and it persists", async () => {
  const page = ownerPage;
  await page.reload();
  await expect(page.getByText("2 people in this organization.")).toBeVisible();
  const role = page.getByRole("combobox", { name: `Role of ${viewer.name}` });
  await expect(role).toHaveValue("viewer");

  const saved = page.waitForResponse((r) => r.url().includes("orgs.changeRole") && r.request().method() === "POST");
  await role.selectOption("member");
  expect((await saved).ok()).toBe(true);

  await page.reload();
  await expect(page.getByRole("combobox", { name: `Role of ${viewer.name}` })).toHaveValue("member");

  await viewerPage.goto(`/${teamSlug}`);
  await expect(viewerPage.getByText("You are member here.")).toBeVisible();
});

test("the owner signs out and back in", async () => {
  const page = ownerPage;
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);

  await page.goto(`/${teamSlug}`);
  await expect(page).toHaveURL(`/sign-in?next=${encodeURIComponent(`/${teamSlug}`)}`);
  await page.goto("/sign-in");
  await signIn(page, owner);
  await expect(page).toHaveURL(new RegExp(`/(${personalSlug}|${teamSlug})$`));
  await expect(page.getByText("You are owner here.")).toBeVisible();
  await expect(page.getByRole("button", { name: /Organization/ })).toBeVisible();
});
