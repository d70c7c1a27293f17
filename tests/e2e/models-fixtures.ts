// Setup for the Models and Workers specs through the API: a published Datanet version of chat
// records, and worker tokens. The pages themselves are driven in the browser.
import { expect, type Page } from "@playwright/test";
import { trpcMutation } from "./helpers";

/** A tRPC mutation that must succeed; returns its (superjson) result. */
export async function mutate<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const response = await trpcMutation(page, procedure, input);
  expect(response.ok(), `${procedure} answered ${response.status()}: ${await response.text()}`).toBe(true);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

const chat = (question: string, answer: string) =>
  JSON.stringify({ messages: [{ role: "user", content: question }, { role: "assistant", content: answer }] });

/** Retries while the upload's previous step still runs in the background. */
async function untilAccepted<T>(action: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const response = await action().catch((error: unknown) => error as Error);
    if (!(response instanceof Error)) return response;
    if (attempt > 100) throw response;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A private chat Datanet of `records` accepted records with one published version; returns the version id. */
export async function publishedVersion(page: Page, orgSlug: string, name: string, records = 30): Promise<{ versionId: string; datanetSlug: string }> {
  const draft = await mutate<{ id: string; slug: string }>(page, "datanets.createDraft", { orgSlug, name });
  await mutate(page, "datanets.saveDraft", {
    orgSlug,
    datanetSlug: draft.slug,
    summary: "Questions and answers for the fine-tuning tests.",
    license: "CC-BY-4.0",
    visibility: "private",
    recordFormat: "chat",
    contributionPolicy: "approval",
  });
  await mutate(page, "datanets.activate", { orgSlug, datanetSlug: draft.slug });
  const lines = Array.from({ length: records }, (_, i) => chat(`What is ailment ${i}?`, `Ailment ${i} is treated with rest and water.`));
  const uploaded = await page.request.post(`/api/datanets/${draft.id}/uploads?fileName=seed.jsonl`, { data: Buffer.from(lines.join("\n")) });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  const { upload } = (await uploaded.json()) as { upload: { id: string } };
  await mutate(page, "datanets.validateUpload", { uploadId: upload.id });
  // Validation and import may finish in the background: retry each next step until it is accepted.
  await untilAccepted(async () => {
    const response = await trpcMutation(page, "datanets.importUpload", { uploadId: upload.id });
    if (!response.ok()) throw new Error(await response.text());
  });
  const version = await untilAccepted(async () => {
    const response = await trpcMutation(page, "datanets.publishVersion", { orgSlug, datanetSlug: draft.slug });
    if (!response.ok()) throw new Error(await response.text());
    return ((await response.json()) as { result: { data: { json: { id: string; recordCount: number } } } }).result.data.json;
  });
  return { versionId: version.id, datanetSlug: draft.slug };
}
