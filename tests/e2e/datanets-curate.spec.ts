// Curating a Datanet in the browser: an owner's public Datanet gets records from the
// owner (accepted at once) and from an outsider (pending). The owner reads what the model
// will learn, rejects one contribution with a reason, accepts the rest in bulk, publishes
// a version, and the Datanet shows up in the public directory for signed-out visitors.
// Setup goes through the API: the wizard and the uploader have their own tests.
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";
import { newAccount, orgSlugOf, screenshot, signUp, trpcCall, waitForUploadRun, watchServerErrors } from "./helpers";

test.describe.configure({ mode: "serial" });

const owner = newAccount("curator");
const outsider = newAccount("contributor");
const stamp = Date.now().toString(36);
const datanetName = `Clinic Questions ${stamp}`;
const description = [
  "## What belongs here",
  "Short, **sourced** answers to questions patients ask at a clinic.",
  "- one question per record",
  "- cite a guideline in the answer",
  "Raw HTML stays text: <script>alert(1)</script>",
].join("\n");

const chat = (question: string, answer: string) =>
  JSON.stringify({ messages: [{ role: "user", content: question }, { role: "assistant", content: answer }] });

let ownerContext: BrowserContext;
let ownerPage: Page;
let outsiderContext: BrowserContext;
let outsiderPage: Page;
const errors: string[][] = [];
let orgSlug: string;
let datanetSlug: string;
let datanetId: string;

async function openSession(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  errors.push(watchServerErrors(page));
  return { context, page };
}

/** Uploads a JSONL file as the page's user, then validates and imports it, waiting for each run to end. */
async function contribute(page: Page, fileName: string, lines: string[], fromOrgSlug?: string) {
  const query = new URLSearchParams({ fileName, ...(fromOrgSlug ? { orgSlug: fromOrgSlug } : {}) });
  const response = await page.request.post(`/api/datanets/${datanetId}/uploads?${query}`, { data: Buffer.from(lines.join("\n")) });
  expect(response.status(), await response.text()).toBe(201);
  const { upload } = (await response.json()) as { upload: { id: string } };
  await trpcCall(page, "datanets.validateUpload", { uploadId: upload.id });
  expect(await waitForUploadRun(page, upload.id)).toMatchObject({ status: "validated" });
  const { status } = await trpcCall<{ status: string }>(page, "datanets.importUpload", { uploadId: upload.id });
  const imported = await waitForUploadRun(page, upload.id);
  expect(imported).toMatchObject({ status: "imported" });
  return { imported: imported.validRows, status };
}

/** The value of one stat card in the Datanet header. */
function stat(page: Page, label: string): Locator {
  return page.locator('dl[aria-label="Datanet figures"] > div').filter({ has: page.getByText(label, { exact: true }) }).locator("dd");
}

/** Closes the notifications so they do not cover what a screenshot is about. */
async function dismissToasts(page: Page) {
  const buttons = page.getByRole("button", { name: "Dismiss notification" });
  while ((await buttons.count()) > 0) await buttons.first().click();
}

test.beforeAll(async ({ browser }) => {
  ({ context: ownerContext, page: ownerPage } = await openSession(browser));
  ({ context: outsiderContext, page: outsiderPage } = await openSession(browser));
});

test.afterAll(async () => {
  await ownerContext?.close();
  await outsiderContext?.close();
});

test.afterEach(() => {
  for (const list of errors) expect(list, "pages answered with server errors").toEqual([]);
});

test("an owner opens a public Datanet and an outsider contributes to it", async () => {
  await signUp(ownerPage, owner);
  orgSlug = orgSlugOf(ownerPage);
  const draft = await trpcCall<{ id: string; slug: string }>(ownerPage, "datanets.createDraft", { orgSlug, name: datanetName });
  datanetId = draft.id;
  datanetSlug = draft.slug;
  await trpcCall(ownerPage, "datanets.saveDraft", {
    orgSlug,
    datanetSlug,
    summary: "Patient questions with clinician-checked answers.",
    description,
    tags: ["medicine", "faq"],
    license: "CC-BY-4.0",
    visibility: "public",
    recordFormat: "chat",
    contributionPolicy: "approval",
  });
  await trpcCall(ownerPage, "datanets.activate", { orgSlug, datanetSlug });
  expect(
    await contribute(ownerPage, "seed.jsonl", [
      chat("What is a fever?", "A body temperature above 38 °C."),
      chat("What is a cough?", "A reflex that clears the airways."),
    ]),
  ).toEqual({ imported: 2, status: "accepted" });

  await signUp(outsiderPage, outsider);
  expect(
    await contribute(
      outsiderPage,
      "outsider.jsonl",
      [
        chat("What is a sprain?", "A stretched or torn ligament."),
        chat("What is a rash?", "A change of the skin's colour or texture."),
        chat("What is a migraine?", "A headache with nausea or sensitivity to light, often on one side."),
      ],
      orgSlugOf(outsiderPage),
    ),
  ).toEqual({ imported: 3, status: "pending" });
});

test("the owner browses the records and sees what the model will learn", async () => {
  const page = ownerPage;
  await page.goto(`/${orgSlug}/datanets/${datanetSlug}`);
  await expect(page.getByRole("heading", { level: 1, name: datanetName })).toBeVisible();
  await expect(stat(page, "Accepted records")).toHaveText("2");
  await expect(stat(page, "Pending review")).toHaveText("3");
  await expect(stat(page, "Contributors")).toHaveText("1");
  const rows = page.getByRole("table", { name: "Records" }).locator("tbody tr");
  await expect(rows).toHaveCount(5);
  await expect(page.getByText("5 records · page 1 of 1")).toBeVisible();
  await screenshot(page, "datanet-records", { alsoMobile: true });

  await page.getByLabel("Status").selectOption("pending");
  await expect(rows).toHaveCount(3);
  await page.getByLabel("Search").fill("migraine");
  await expect(rows).toHaveCount(1);
  await rows.first().getByRole("button", { name: "What is a migraine?" }).click();
  const dialog = page.getByRole("dialog", { name: "What the model will learn" });
  await expect(dialog.getByRole("heading", { name: "Prompt (not trained on)" })).toBeVisible();
  await expect(dialog.getByRole("heading", { name: "Answer (the model learns this)" })).toBeVisible();
  await expect(dialog.getByText("A headache with nausea or sensitivity to light, often on one side.")).toBeVisible();
  await expect(dialog.getByText(outsider.name)).toBeVisible();
  await expect(dialog.getByText("outsider.jsonl:3")).toBeVisible();
  await screenshot(page, "datanet-record-view", { alsoMobile: true });
  await dialog.getByRole("button", { name: "Close" }).first().click();
  await expect(dialog).toBeHidden();

  await page.getByLabel("Search").fill("");
  await page.getByLabel("Status").selectOption("");
  await rows.filter({ hasText: "What is a fever?" }).getByRole("button", { name: owner.name }).click();
  await expect(page.getByText(`Showing records by ${owner.name}`)).toBeVisible();
  await expect(rows).toHaveCount(2);
});

test("the owner rejects one contribution with a reason and accepts the rest in bulk", async () => {
  const page = ownerPage;
  await page.getByRole("link", { name: "Review" }).click();
  const rows = page.getByRole("table", { name: "Pending records" }).locator("tbody tr");
  await expect(rows).toHaveCount(3);
  await page.getByRole("checkbox", { name: "Select all on this page" }).check();
  await expect(page.getByText("3 records selected")).toBeVisible();
  await screenshot(page, "datanet-review", { alsoMobile: true });
  await page.getByRole("checkbox", { name: "Select all on this page" }).uncheck();

  await rows.filter({ hasText: "What is a rash?" }).getByRole("button", { name: /^Reject/ }).click();
  const dialog = page.getByRole("dialog", { name: "Reject 1 record?" });
  await dialog.getByRole("button", { name: "Reject", exact: true }).click();
  await expect(dialog.getByText("Say why; the contributor sees this reason.")).toBeVisible();
  await dialog.getByLabel("Reason").fill("No source for the answer; cite a dermatology guideline.");
  await dialog.getByRole("button", { name: "Reject", exact: true }).click();
  await expect(page.getByText("1 record rejected")).toBeVisible();
  await expect(rows).toHaveCount(2);

  await page.getByRole("checkbox", { name: "Select all on this page" }).check();
  await page.getByRole("button", { name: "Accept selected" }).click();
  await expect(page.getByText("2 records accepted")).toBeVisible();
  await expect(page.getByText("Nothing to review")).toBeVisible();
  await expect(stat(page, "Pending review")).toHaveText("0");
  await expect(stat(page, "Accepted records")).toHaveText("4");
  await expect(stat(page, "Contributors")).toHaveText("2");

  // The rejected record keeps the reason its contributor sees.
  await page.getByRole("link", { name: "Records" }).click();
  await page.getByLabel("Status").selectOption("rejected");
  await page.getByRole("button", { name: "What is a rash?" }).click();
  await expect(page.getByRole("dialog").getByText("No source for the answer; cite a dermatology guideline.")).toBeVisible();
  await page.keyboard.press("Escape");
});

test("the owner publishes a version and downloads its manifest", async () => {
  const page = ownerPage;
  await page.getByRole("link", { name: "Versions" }).click();
  await expect(page.getByText("No versions yet")).toBeVisible();
  await page.getByRole("button", { name: "Publish version" }).click();
  await expect(page.getByText("Version 1 published")).toBeVisible();
  const version = page.getByRole("list", { name: "1 version" }).getByRole("listitem");
  await expect(version.getByRole("heading", { name: /Version 1/ })).toBeVisible();
  await expect(version).toContainText("+4 / −0 records");
  await expect(version).toContainText("+2 / −0 contributors");
  await expect(version.locator("code").first()).toHaveText(/^0x[0-9a-f]{8}…[0-9a-f]{4}$/);
  await expect(stat(page, "Versions")).toHaveText("1");
  // The e2e server's local chain commits the version within seconds; its hash shows as text.
  await expect(version.getByText(/^in block \d+$/)).toBeVisible();
  await expect(version.getByText("Committed")).toBeVisible();
  await expect(version.getByText(/^tx 0x[0-9a-f]{8}…[0-9a-f]{4}$/)).toBeVisible();
  await dismissToasts(page);
  await screenshot(page, "datanet-versions", { alsoMobile: true });

  const download = page.waitForEvent("download");
  await version.getByRole("button", { name: "Manifest of version 1" }).click();
  expect((await download).suggestedFilename()).toBe(`${datanetSlug}-v1.manifest.json`);
});

test("contributors are ranked and the description renders safely", async () => {
  const page = ownerPage;
  await page.goto(`/${orgSlug}/datanets/${datanetSlug}/contributors`);
  const rows = page.getByRole("table", { name: "Contributors by accepted records" }).locator("tbody tr");
  await expect(rows).toHaveCount(2);
  // Both have two accepted records, so either may rank first.
  await expect(rows.filter({ hasText: owner.name })).toContainText("none linked");
  await expect(rows.filter({ hasText: outsider.name }).getByRole("link", { name: outsider.name })).toHaveAttribute(
    "href",
    new RegExp(`/${datanetSlug}\\?contributor=[0-9a-f-]{36}$`),
  );
  await screenshot(page, "datanet-contributors", { alsoMobile: true });

  await page.getByRole("link", { name: "About" }).click();
  await expect(page.getByRole("heading", { name: "What belongs here" })).toBeVisible();
  await expect(page.getByText("Raw HTML stays text: <script>alert(1)</script>")).toBeVisible();
  await expect(page.getByRole("link", { name: "CC-BY-4.0" })).toHaveAttribute("href", "https://creativecommons.org/licenses/by/4.0/");
  await screenshot(page, "datanet-about");

  await page.getByRole("link", { name: "Contribute", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Contribute records" })).toBeVisible();
  await expect(page.getByText("Your records are accepted at once")).toBeVisible();
});

test("a missing Datanet says so, with a way back", async () => {
  const page = ownerPage;
  await page.goto(`/${orgSlug}/datanets/no-such-datanet`);
  await expect(page.getByRole("heading", { level: 1, name: "No Datanet “no-such-datanet”" })).toBeVisible();
  await page.getByRole("link", { name: "Back to Datanets" }).click();
  await expect(page).toHaveURL(new RegExp(`/${orgSlug}/datanets$`));
});

test("the public directory lists the Datanet to signed-out visitors", async ({ browser }) => {
  const { context, page } = await openSession(browser);
  try {
    await page.goto("/datanets/directory");
    await expect(page.getByRole("heading", { level: 1, name: "Datanet directory" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
    await page.getByLabel("Search by name, summary or tag").fill(stamp);
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(new RegExp(`q=${stamp}`));
    const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: datanetName }) });
    await expect(card).toContainText(`${owner.name}'s workspace`);
    await expect(card).toContainText("Patient questions with clinician-checked answers.");
    await expect(card.getByText("records", { exact: true }).locator("..")).toContainText("4");
    await expect(card).toContainText("CC-BY-4.0");
    await screenshot(page, "directory", { alsoMobile: true });

    await page.goto("/datanets/directory?q=no-datanet-is-called-this");
    await expect(page.getByText("No public Datanets match “no-datanet-is-called-this”")).toBeVisible();
  } finally {
    await context.close();
  }
});
