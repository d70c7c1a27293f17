// Contributions end to end below the HTTP edge: upload → validate → import → curate →
// publish versions, with provenance, duplicates, and nothing left behind on cancel.
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datanetRecords } from "@/server/db/schema";
import { merkleRoot } from "@/server/datanets/merkle";
import { receiveUpload } from "@/server/datanets/uploads";
import { callerFor, createUser, testBlobs, type TestUser } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { addMemberVia, createOrgWithOwner, type TestOrg } from "../helpers/orgs";
import { waitForUpload } from "../helpers/uploads";

let database: TestDatabase;
let org: TestOrg;
let datanetId: string;
const slug = "medical-chat";

const chat = (q: string, a: string) => JSON.stringify({ messages: [{ role: "user", content: q }, { role: "assistant", content: a }] });

async function upload(user: TestUser, fileName: string, text: string, fromOrgSlug?: string) {
  return receiveUpload(database.db, testBlobs, user.userId, { datanetId, fromOrgSlug, fileName, body: Readable.from([Buffer.from(text)]) });
}

type Caller = ReturnType<typeof callerFor>;

/** Validates in the background and waits for the run to end. */
async function validate(caller: Caller, input: Parameters<Caller["datanets"]["validateUpload"]>[0]) {
  expect(await caller.datanets.validateUpload(input)).toMatchObject({ status: "validating" });
  return waitForUpload(caller, input.uploadId);
}

/** Imports in the background and waits for the run to end; answers what the uploader shows. */
async function importRows(caller: Caller, input: Parameters<Caller["datanets"]["importUpload"]>[0]) {
  const started = await caller.datanets.importUpload(input);
  expect(started.upload.status).toBe("importing");
  const done = await waitForUpload(caller, input.uploadId);
  expect(done).toMatchObject({ status: "imported", error: null });
  return { imported: done.validRows, status: started.status };
}

beforeAll(async () => {
  database = await createTestDatabase();
  org = await createOrgWithOwner(database.db, "Medical Commons");
  const owner = callerFor(database.db, org.owner.userId);
  const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Medical Chat" });
  await owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, visibility: "public", recordFormat: "chat", license: "CC0-1.0" });
  const live = await owner.datanets.activate({ orgSlug: org.slug, datanetSlug: draft.slug });
  datanetId = live!.id;
});
afterAll(() => database.close());

describe("uploads", () => {
  it("reports every bad row with line and field, counts duplicates, and imports only valid rows when asked", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const file = [
      chat("What is a fever?", "A body temperature above 38 °C."),
      chat("What is a cough?", "A reflex that clears the airways."),
      JSON.stringify({ messages: [{ role: "user", content: "Hi" }, { role: "bot", content: "Hello" }] }),
      chat("What is a fever?", "A body temperature above 38 °C."),
      chat("What is a rash?", "A change of the skin's colour or texture."),
    ].join("\n");
    const received = await upload(org.owner, "first.jsonl", file);
    expect(received).toMatchObject({ kind: "jsonl", status: "uploaded", detected: { jsonl: { shape: "openai-chat" } } });

    const validated = await validate(owner, { uploadId: received.id, options: { jsonlShape: "openai-chat" } });
    expect(validated).toMatchObject({ status: "validated", validRows: 3, errorRows: 1, duplicateRows: 1 });
    const issues = validated.issues as { line: number; field: string; message: string }[];
    expect(issues.find((i) => i.line === 3)).toMatchObject({ field: "messages[1].role" });
    expect(issues.find((i) => i.line === 4)?.message).toMatch(/duplicate of line 1/);

    await expectTRPCError(owner.datanets.importUpload({ uploadId: received.id }), "BAD_REQUEST", /1 row\(s\) have errors/);
    const imported = await importRows(owner, { uploadId: received.id, skipInvalid: true });
    expect(imported).toEqual({ imported: 3, status: "accepted" });

    const { rows } = await owner.datanets.records({ orgSlug: org.slug, datanetSlug: slug });
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.contributorId === org.owner.userId && r.sourceFile === "first.jsonl" && /^[0-9a-f]{64}$/.test(r.contentHash))).toBe(true);
    expect(rows.map((r) => r.sourceLine).sort()).toEqual([1, 2, 5]);
  });

  it("credits the first contributor: an outsider's copy of an existing record is reported, theirs goes to review", async () => {
    const outsider = await createUser(database.db);
    const received = await upload(outsider, "mine.jsonl", [chat("What is a fever?", "A body temperature above 38 °C."), chat("What is a sprain?", "A stretched or torn ligament.")].join("\n"), outsider.personalOrgSlug);
    const caller = callerFor(database.db, outsider.userId);
    const validated = await validate(caller, { uploadId: received.id });
    expect(validated).toMatchObject({ validRows: 1, duplicateRows: 1, errorRows: 0 });
    expect((validated.issues as { message: string }[])[0]?.message).toMatch(/duplicate of record [0-9a-f-]{36}, already in this Datanet/);
    expect(await importRows(caller, { uploadId: received.id })).toEqual({ imported: 1, status: "pending" });

    const owner = callerFor(database.db, org.owner.userId);
    const pending = await owner.datanets.records({ orgSlug: org.slug, datanetSlug: slug, status: "pending" });
    expect(pending.rows.map((r) => r.contributorId)).toEqual([outsider.userId]);
    await expectTRPCError(owner.datanets.review({ orgSlug: org.slug, datanetSlug: slug, recordIds: [pending.rows[0]!.id], decision: "rejected" }), "BAD_REQUEST", /reason/);
    await owner.datanets.review({ orgSlug: org.slug, datanetSlug: slug, recordIds: [pending.rows[0]!.id], decision: "rejected", reason: "Not sourced" });
    const rejected = await owner.datanets.records({ orgSlug: org.slug, datanetSlug: slug, status: "rejected" });
    expect(rejected.rows[0]).toMatchObject({ reviewReason: "Not sourced" });
    // The contributor sees the decision and its reason on their own records.
    const mine = await caller.datanets.myContributions({ datanetId });
    expect(mine.rows.map((r) => [r.status, r.reviewReason])).toEqual([["rejected", "Not sourced"]]);
    await owner.datanets.review({ orgSlug: org.slug, datanetSlug: slug, recordIds: [pending.rows[0]!.id], decision: "accepted" });
  });

  it("cancelling leaves no upload row, file or report behind", async () => {
    const caller = callerFor(database.db, org.owner.userId);
    const received = await upload(org.owner, "oops.jsonl", chat("Q?", "A."));
    await validate(caller, { uploadId: received.id });
    expect(await testBlobs.list(received.blobKey)).toHaveLength(2);
    await caller.datanets.cancelUpload({ uploadId: received.id });
    expect(await testBlobs.list(received.blobKey)).toEqual([]);
    await expectTRPCError(caller.datanets.validateUpload({ uploadId: received.id }), "NOT_FOUND");
  });

  it("lets no one else validate, import, cancel or read the report of someone's upload", async () => {
    const received = await upload(org.owner, "owned.jsonl", chat("Whose?", "Mine."));
    const stranger = callerFor(database.db, (await createUser(database.db)).userId);
    await expectTRPCError(stranger.datanets.validateUpload({ uploadId: received.id }), "NOT_FOUND");
    await expectTRPCError(stranger.datanets.importUpload({ uploadId: received.id, skipInvalid: true }), "NOT_FOUND");
    await expectTRPCError(stranger.datanets.uploadReportUrl({ uploadId: received.id }), "NOT_FOUND");
    await expectTRPCError(stranger.datanets.upload({ uploadId: received.id }), "NOT_FOUND");
    await expectTRPCError(stranger.datanets.cancelUpload({ uploadId: received.id }), "NOT_FOUND");
    expect(await testBlobs.list(received.blobKey)).toEqual([received.blobKey]);
    await callerFor(database.db, org.owner.userId).datanets.cancelUpload({ uploadId: received.id });
  });

  it("refuses empty and unsupported files and keeps nothing", async () => {
    const before = await testBlobs.list(`datanets/${datanetId}/uploads/`);
    await expectTRPCError(upload(org.owner, "empty.jsonl", ""), "BAD_REQUEST", /empty/);
    await expectTRPCError(upload(org.owner, "sheet.xlsx", "PK\u0003\u0004"), "BAD_REQUEST", /not a supported file type|binary/);
    expect(await testBlobs.list(`datanets/${datanetId}/uploads/`)).toEqual(before);
  });

  it("keeps private datanets to their org, and viewers out", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Private Notes" });
    const live = await owner.datanets.activate({ orgSlug: org.slug, datanetSlug: draft.slug });
    const send = (user: TestUser) =>
      receiveUpload(database.db, testBlobs, user.userId, { datanetId: live!.id, fileName: "x.jsonl", body: Readable.from([Buffer.from(chat("a", "b"))]) });
    await expectTRPCError(send(await createUser(database.db)), "NOT_FOUND");
    await expectTRPCError(send(await addMemberVia(database.db, org, "viewer")), "FORBIDDEN");
  });
});

describe("versions", () => {
  it("freezes accepted records with their Merkle root, and lists what changed", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const v1 = await owner.datanets.publishVersion({ orgSlug: org.slug, datanetSlug: slug });
    const accepted = await owner.datanets.records({ orgSlug: org.slug, datanetSlug: slug, status: "accepted" });
    expect(accepted.total).toBe(4);

    const [listed] = await owner.datanets.versions({ orgSlug: org.slug, datanetSlug: slug });
    expect(listed).toMatchObject({ number: v1.number, recordCount: 4, contributorCount: 2, recordsAdded: 4, recordsRemoved: 0, contributorsAdded: 2 });
    expect(listed!.merkleRoot).toBe(merkleRoot(accepted.rows.map((r) => r.contentHash)));
    const inList = (await owner.datanets.list({ orgSlug: org.slug })).find((d) => d.slug === slug);
    expect(inList).toMatchObject({ records: 4, contributors: 2, versions: 1, pending: 0 });
    expect(inList!.tokens).toBeGreaterThan(0);

    const snapshotKey = (await testBlobs.list(`datanets/${datanetId}/versions/`)).find((k) => k.endsWith("snapshot.jsonl"))!;
    let text = "";
    for await (const chunk of await testBlobs.get(snapshotKey)) text += chunk.toString();
    const lines = text.trim().split("\n").map((l) => JSON.parse(l) as { id: string; contentHash: string; contributorId: string });
    expect(lines.map((l) => l.id).sort()).toEqual(accepted.rows.map((r) => r.id).sort());

    // Reject one record: the next version shows it removed.
    const removed = accepted.rows[0]!;
    await owner.datanets.review({ orgSlug: org.slug, datanetSlug: slug, recordIds: [removed.id], decision: "rejected", reason: "Outdated" });
    await owner.datanets.publishVersion({ orgSlug: org.slug, datanetSlug: slug });
    const [v2] = await owner.datanets.versions({ orgSlug: org.slug, datanetSlug: slug });
    expect(v2).toMatchObject({ number: 2, recordCount: 3, recordsAdded: 0, recordsRemoved: 1 });

    // A record frozen into a version cannot be deleted.
    const { eq } = await import("drizzle-orm");
    await expect(database.db.delete(datanetRecords).where(eq(datanetRecords.id, removed.id))).rejects.toThrow();

    const { url } = await owner.datanets.downloadUrl({ orgSlug: org.slug, datanetSlug: slug, version: 1, file: "manifest" });
    expect(url).toContain("/api/blobs/");
  });

  it("refuses to publish an empty datanet", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Nothing Yet" });
    await owner.datanets.activate({ orgSlug: org.slug, datanetSlug: draft.slug });
    await expectTRPCError(owner.datanets.publishVersion({ orgSlug: org.slug, datanetSlug: draft.slug }), "BAD_REQUEST", /no accepted records/);
    expect(await testBlobs.list(`datanets/`)).not.toContainEqual(expect.stringContaining("nothing"));
  });
});
