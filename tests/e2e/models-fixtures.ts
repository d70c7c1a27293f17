// Setup for the Models and Workers specs through the API: a published Datanet version of chat
// records, and worker tokens. The pages themselves are driven in the browser.
import { expect, type Page } from "@playwright/test";
import { trpcCall, waitForUploadRun } from "./helpers";

const chat = (question: string, answer: string) =>
  JSON.stringify({ messages: [{ role: "user", content: question }, { role: "assistant", content: answer }] });

/** Uploads JSONL lines to a Datanet, checks and imports them, waiting for each background run. */
export async function contributeLines(page: Page, datanetId: string, fileName: string, lines: string[]) {
  const uploaded = await page.request.post(`/api/datanets/${datanetId}/uploads?fileName=${encodeURIComponent(fileName)}`, { data: Buffer.from(lines.join("\n")) });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  const { upload } = (await uploaded.json()) as { upload: { id: string } };
  await trpcCall(page, "datanets.validateUpload", { uploadId: upload.id });
  expect(await waitForUploadRun(page, upload.id)).toMatchObject({ status: "validated" });
  await trpcCall(page, "datanets.importUpload", { uploadId: upload.id });
  expect(await waitForUploadRun(page, upload.id)).toMatchObject({ status: "imported" });
}

/** A private chat Datanet of the given records (default: `records` generated ones), accepted, with one published version. */
export async function publishedVersion(
  page: Page,
  orgSlug: string,
  name: string,
  records: number | [question: string, answer: string][] = 30,
): Promise<{ versionId: string; datanetSlug: string }> {
  const draft = await trpcCall<{ id: string; slug: string }>(page, "datanets.createDraft", { orgSlug, name });
  await trpcCall(page, "datanets.saveDraft", {
    orgSlug,
    datanetSlug: draft.slug,
    summary: "Questions and answers for the fine-tuning tests.",
    license: "CC-BY-4.0",
    visibility: "private",
    recordFormat: "chat",
    contributionPolicy: "approval",
  });
  await trpcCall(page, "datanets.activate", { orgSlug, datanetSlug: draft.slug });
  const pairs = typeof records === "number" ? Array.from({ length: records }, (_, i): [string, string] => [`What is ailment ${i}?`, `Ailment ${i} is treated with rest and water.`]) : records;
  await contributeLines(page, draft.id, "seed.jsonl", pairs.map(([q, a]) => chat(q, a)));
  const version = await trpcCall<{ id: string }>(page, "datanets.publishVersion", { orgSlug, datanetSlug: draft.slug });
  return { versionId: version.id, datanetSlug: draft.slug };
}
