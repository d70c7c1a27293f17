// Creating a Datanet: the wizard step by step (left at step 2 and resumed from the list),
// a JSONL upload with one bad line whose report names it, an explicit import of the valid
// rows, a CSV mapped column by column, and the counts on the list. Also: skipping the
// upload, and discarding a draft.
import { expect, test, type Page } from "@playwright/test";
import { newAccount, orgSlugOf, screenshot, signUp, watchServerErrors } from "./helpers";

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

const chat = (question: string, answer: string, assistantRole = "assistant") =>
  JSON.stringify({ messages: [{ role: "user", content: question }, { role: assistantRole, content: answer }] });

// Line 4 has a role the chat format does not know.
const jsonl = [
  chat("What causes anemia?", "Most often too little iron in the diet."),
  chat("How much water should a child drink?", "About 1 to 2 litres a day, more in heat."),
  chat("Is a fever of 38 °C dangerous?", "Usually not in adults; watch for other signs."),
  chat("When should I see a nurse?", "If the fever lasts more than three days.", "bot"),
  chat("What helps with altitude sickness?", "Rest, water, and going down if it gets worse."),
  chat("Can I give honey to a baby?", "Not before one year of age."),
].join("\n");

const csv = [
  "pregunta,respuesta,fuente",
  '"¿Qué es la anemia?","Falta de glóbulos rojos sanos.",clinic',
  '"¿Cuánta agua debe tomar un niño?","Entre 1 y 2 litros al día.",clinic',
  '"¿Cuándo ver a una enfermera?","Si la fiebre dura más de tres días.",clinic',
].join("\n");

async function startWizard(page: Page, orgSlug: string, name: string) {
  await page.goto(`/${orgSlug}/datanets/new`);
  await expect(page.getByRole("heading", { name: "1. Basics" })).toBeVisible();
  await page.getByLabel("Name").fill(name);
}

test("a member creates a Datanet, resumes it, uploads JSONL and CSV, and sees the counts", async ({ page }) => {
  test.setTimeout(180_000);
  await signUp(page, newAccount("curator"));
  const orgSlug = orgSlugOf(page);
  const name = `Quechua Health ${Date.now().toString(36)}`;

  await page.goto(`/${orgSlug}/datanets`);
  await expect(page.getByText("No Datanets yet")).toBeVisible();
  await expect(page.getByRole("link", { name: "Public directory" })).toHaveAttribute("href", "/datanets/directory");
  await page.getByRole("link", { name: "Create your first Datanet" }).click();

  // Step 1: basics, with a Markdown preview that escapes HTML and keeps only safe links.
  await expect(page.getByRole("heading", { name: "1. Basics" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Progress" }).getByRole("listitem").first()).toHaveAttribute("aria-current", "step");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("One-line summary").fill("Everyday health questions answered in Quechua by community nurses.");
  await page
    .getByRole("textbox", { name: "Description" })
    .fill("## Scope\n\nAnswers to **common** questions, *checked* by nurses. <script>alert(1)</script>\n\n- clinic FAQs\n- radio call-ins\n\nSee [the project](https://example.org/quechua) and [this](javascript:alert(1)).");
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByTestId("description-preview");
  await expect(preview.getByRole("heading", { name: "Scope" })).toBeVisible();
  await expect(preview.locator("strong")).toHaveText("common");
  await expect(preview.getByRole("listitem")).toHaveCount(2);
  await expect(preview).toContainText("<script>alert(1)</script>");
  await expect(preview.locator("script")).toHaveCount(0);
  await expect(preview.getByRole("link", { name: "the project" })).toHaveAttribute("rel", "noopener noreferrer");
  await expect(preview.getByRole("link", { name: "this" })).toHaveCount(0);
  await page.getByRole("button", { name: "Write" }).click();
  const tags = page.getByLabel("Domain tags");
  for (const tag of ["Health", "quechua", "typo"]) {
    await tags.fill(tag);
    await tags.press("Enter");
  }
  await page.getByRole("button", { name: "Remove tag typo" }).click();
  await expect(page.getByRole("list", { name: "Tags" }).getByRole("listitem")).toHaveText(["health", "quechua"]);
  await screenshot(page, "datanet-wizard", { alsoMobile: true });
  await page.getByRole("button", { name: "Next" }).click();

  // Step 2 has its own address; leave the wizard here.
  await expect(page.getByRole("heading", { name: "2. License" })).toBeVisible();
  await expect(page).toHaveURL(/\/datanets\/new\?draft=quechua-health-/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Datanets" }).click();
  const listed = page.getByRole("listitem").filter({ has: page.getByRole("link", { name }) });
  await expect(listed.getByText("Draft")).toBeVisible();
  await listed.getByRole("link", { name: "Continue setup" }).click();

  // Resumed at step 2, with step 1 as it was saved.
  await expect(page.getByRole("heading", { name: "2. License" })).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await expect(page.getByRole("list", { name: "Tags" }).getByRole("listitem")).toHaveText(["health", "quechua"]);
  await page.getByRole("button", { name: "Next" }).click();

  await page.getByRole("radio", { name: /Custom license/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Paste the license text, or pick one of the listed licenses.")).toBeVisible();
  await page.getByRole("radio", { name: /CC BY-SA 4.0/ }).check();
  await page.getByRole("button", { name: "Next" }).click();

  // Step 3: access and format.
  await expect(page.getByRole("heading", { name: "3. Access & format" })).toBeVisible();
  await expect(page.getByText('{"messages": [{"role": "user"')).toBeVisible();
  await page.getByRole("radio", { name: /Public/ }).check();
  await page.getByRole("radio", { name: /^Chat/ }).check();
  await page.getByRole("radio", { name: /Trust this organization's members/ }).check();
  await page.getByRole("button", { name: "Next" }).click();

  // Step 4: the first file makes the Datanet live, then is checked line by line.
  await expect(page.getByRole("heading", { name: "4. First upload" })).toBeVisible();
  await page.getByLabel("Files to upload").setInputFiles({ name: "clinic.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(jsonl) });
  await expect(page.getByText("Datanet created")).toBeVisible();
  const jsonlUpload = page.getByRole("listitem", { name: "clinic.jsonl" });
  await expect(jsonlUpload.getByText("Detected shape:")).toContainText("OpenAI chat");
  await jsonlUpload.getByRole("button", { name: "Validate" }).click();
  await expect(jsonlUpload.getByText("Rows with errors", { exact: true }).locator("..")).toContainText("1");
  await expect(jsonlUpload.getByText("Valid rows", { exact: true }).locator("..")).toContainText("5");
  await expect(jsonlUpload.getByRole("cell", { name: 'line 4: messages[1].role is "bot"; use one of system, user, assistant' })).toBeVisible();
  await expect(jsonlUpload.getByRole("cell", { name: "messages[1].role", exact: true })).toBeVisible();
  await screenshot(page, "datanet-upload-report", { alsoMobile: true });
  expect(await sidewaysOverflow(page), "the upload report scrolls sideways").toBe(0);

  const download = page.waitForEvent("download");
  await jsonlUpload.getByRole("button", { name: "Download full report" }).click();
  expect((await download).suggestedFilename()).toBe("clinic.jsonl.report.jsonl");

  await jsonlUpload.getByRole("button", { name: "Import 5 valid rows, skip 1" }).click();
  await expect(page.getByRole("list", { name: "Imported files" })).toContainText("clinic.jsonl: 5 records added and accepted.");
  await expect(jsonlUpload).toHaveCount(0);

  // A CSV whose columns have to be mapped by hand.
  await page.getByLabel("Files to upload").setInputFiles({ name: "faq.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  const csvUpload = page.getByRole("listitem", { name: "faq.csv" });
  await expect(csvUpload.getByText("Columns in the file: pregunta, respuesta, fuente.")).toBeVisible();
  await expect(csvUpload.getByRole("button", { name: "Validate" })).toBeDisabled();
  await csvUpload.getByLabel("User message").selectOption("pregunta");
  await csvUpload.getByLabel("Assistant reply").selectOption("respuesta");
  await csvUpload.getByRole("button", { name: "Validate" }).click();
  await csvUpload.getByRole("button", { name: "Import 3 rows" }).click();
  await expect(page.getByRole("list", { name: "Imported files" })).toContainText("faq.csv: 3 records added and accepted.");

  // Step 5: review, then finish; the Datanet is already live.
  await page.getByRole("button", { name: "Continue to review" }).click();
  await expect(page.getByRole("heading", { name: "5. Review & create" })).toBeVisible();
  await expect(page.getByText("8 accepted, 0 awaiting review")).toBeVisible();
  await expect(page.getByText("CC BY-SA 4.0")).toBeVisible();
  await page.getByRole("button", { name: "Finish" }).click();
  await expect(page).toHaveURL(new RegExp(`/${orgSlug}/datanets/quechua-health-[a-z0-9-]+$`));

  await page.goto(`/${orgSlug}/datanets`);
  const row = page.getByRole("listitem").filter({ has: page.getByRole("link", { name }) });
  await expect(row.getByText("Active")).toBeVisible();
  await expect(row.getByText("Public")).toBeVisible();
  await expect(row.getByText("Records", { exact: true }).locator("..")).toContainText("8");
  await expect(row.getByText("Contributors", { exact: true }).locator("..")).toContainText("1");
  await expect(row.getByRole("link", { name: "Continue setup" })).toHaveCount(0);
  await screenshot(page, "datanets", { alsoMobile: true });
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await sidewaysOverflow(page), "the Datanets list scrolls sideways").toBe(0);
});

test("skipping the upload creates the Datanet on review", async ({ page }) => {
  await signUp(page, newAccount("skipper"));
  const orgSlug = orgSlugOf(page);
  const name = `Field notes ${Date.now().toString(36)}`;
  await startWizard(page, orgSlug, name);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { name: "2. License" })).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /^Text/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Your Datanet is created as you upload its first file")).toBeVisible();
  await page.getByRole("button", { name: "Skip to review" }).click();
  await expect(page.getByText("None yet. You can add files from the Datanet's page at any time.")).toBeVisible();
  await page.getByRole("button", { name: "Create Datanet" }).click();
  await expect(page).toHaveURL(new RegExp(`/${orgSlug}/datanets/field-notes-[a-z0-9-]+$`));

  await page.goto(`/${orgSlug}/datanets`);
  const row = page.getByRole("listitem").filter({ has: page.getByRole("link", { name }) });
  await expect(row.getByText("Active")).toBeVisible();
  await expect(row.getByText("Text", { exact: true })).toBeVisible();
});

test("a name that is too short is marked, and a draft can be discarded", async ({ page }) => {
  await signUp(page, newAccount("discarder"));
  const orgSlug = orgSlugOf(page);
  await startWizard(page, orgSlug, "ab");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByLabel("Name")).toHaveAccessibleDescription(/Use at least 3 characters/);

  const name = `Scratch ${Date.now().toString(36)}`;
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { name: "2. License" })).toBeVisible();
  await page.getByRole("button", { name: "Discard draft" }).click();
  const dialog = page.getByRole("dialog", { name: `Discard ${name}?` });
  await dialog.getByRole("button", { name: "Discard draft" }).click();
  await expect(page).toHaveURL(`/${orgSlug}/datanets`);
  await expect(page.getByText("No Datanets yet")).toBeVisible();
});
