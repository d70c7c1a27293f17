// Validation and import as background runs: progress on the row, a stale run seen as
// interrupted and retried, one run per upload, cancel mid-run, and a failed run back where it
// started with its message and nothing left behind. Runs are awaited by polling the upload.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { and, count, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { receiveUpload } from "@/server/datanets/uploads";
import { datanetRecords, datanetUploadRows, datanetUploads } from "@/server/db/schema";
import { callerFor, testBlobs } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { createOrgWithOwner, type TestOrg } from "../helpers/orgs";
import { holdingStore, waitForUpload, type HeldStore } from "../helpers/uploads";

let database: TestDatabase;
let org: TestOrg;
let datanetId: string;
const held: HeldStore[] = [];

const chat = (q: string, a: string) => JSON.stringify({ messages: [{ role: "user", content: q }, { role: "assistant", content: a }] });
const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => chat(`${tag} question ${i}?`, `${tag} answer ${i}.`)).join("\n");

beforeAll(async () => {
  database = await createTestDatabase();
  org = await createOrgWithOwner(database.db, "Run Commons");
  const owner = callerFor(database.db, org.owner.userId);
  const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Run Chat" });
  await owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, recordFormat: "chat" });
  datanetId = (await owner.datanets.activate({ orgSlug: org.slug, datanetSlug: draft.slug }))!.id;
});
afterEach(() => {
  for (const h of held.splice(0)) h.release();
  vi.restoreAllMocks();
});
afterAll(() => database.close());

async function upload(fileName: string, text: string) {
  return receiveUpload(database.db, testBlobs, org.owner.userId, { datanetId, fileName, body: Readable.from([Buffer.from(text)]) });
}

/** The owner's caller whose upload reads stop after `headBytes` until released (or fail there). */
function holding(headBytes: number, failWith?: Error) {
  const h = holdingStore(testBlobs, headBytes, failWith);
  held.push(h);
  return { caller: callerFor(database.db, org.owner.userId, { blobs: h.store }), release: h.release };
}

const owner = () => callerFor(database.db, org.owner.userId);

async function recordsOf(uploadId: string) {
  const [row] = await database.db.select({ n: count() }).from(datanetRecords).where(eq(datanetRecords.uploadId, uploadId));
  return row!.n;
}

async function stagedOf(uploadId: string) {
  const [row] = await database.db.select({ n: count() }).from(datanetUploadRows).where(eq(datanetUploadRows.uploadId, uploadId));
  return row!.n;
}

/** What a server that died mid-run leaves: the run's status, and a heartbeat `secondsAgo` old. */
async function leaveRun(uploadId: string, status: "validating" | "importing", secondsAgo: number) {
  await database.db
    .update(datanetUploads)
    .set({ status, runId: randomUUID(), runStartedAt: sql`now() - interval '5 minutes'`, progressAt: sql`now() - make_interval(secs => ${secondsAgo})` })
    .where(eq(datanetUploads.id, uploadId));
}

describe("upload runs", () => {
  it("returns at once and shows the run's progress on the upload until it ends", async () => {
    const text = lines(400, "progress");
    const received = await upload("progress.jsonl", text);
    const half = Math.floor(text.length / 2);
    const { caller, release } = holding(half);

    const started = await caller.datanets.validateUpload({ uploadId: received.id });
    expect(started).toMatchObject({ status: "validating", processedBytes: 0, processedRows: 0, error: null, interrupted: false });
    expect(started.runStartedAt).toBeInstanceOf(Date);

    const midway = await waitForUpload(caller, received.id, (u) => u.processedBytes > 0);
    expect(midway).toMatchObject({ status: "validating", processedBytes: half, interrupted: false });
    expect(midway.processedRows).toBeGreaterThan(100);
    expect(midway.processedRows).toBeLessThan(400);
    expect(Date.now() - midway.progressAt!.getTime()).toBeLessThan(10_000);
    expect((await caller.datanets.openUploads({ datanetId })).find((u) => u.id === received.id)).toMatchObject({ status: "validating" });

    release();
    const done = await waitForUpload(caller, received.id);
    expect(done).toMatchObject({ status: "validated", validRows: 400, processedBytes: text.length, processedRows: 400, error: null, interrupted: false });

    const importing = await caller.datanets.importUpload({ uploadId: received.id });
    expect(importing).toMatchObject({ status: "accepted", upload: { status: "importing", processedBytes: 0 } });
    expect(await waitForUpload(caller, received.id)).toMatchObject({ status: "imported", validRows: 400, processedBytes: text.length, processedRows: 400 });
    expect(await recordsOf(received.id)).toBe(400);
    expect(await stagedOf(received.id)).toBe(0);
  });

  it("runs one validation or import of an upload at a time", async () => {
    const received = await upload("once.jsonl", lines(50, "once"));
    const { caller } = holding(100);
    const results = await Promise.allSettled([caller.datanets.validateUpload({ uploadId: received.id }), caller.datanets.validateUpload({ uploadId: received.id })]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    await expectTRPCError(caller.datanets.validateUpload({ uploadId: received.id }), "CONFLICT", /being validated/);
    await expectTRPCError(caller.datanets.importUpload({ uploadId: received.id }), "CONFLICT", /being validated/);
    await caller.datanets.cancelUpload({ uploadId: received.id });

    // A live run on another server (fresh heartbeat) is not taken over either.
    const other = await upload("elsewhere.jsonl", lines(5, "elsewhere"));
    await leaveRun(other.id, "importing", 5);
    await expectTRPCError(owner().datanets.importUpload({ uploadId: other.id }), "CONFLICT", /being imported/);
    await expectTRPCError(owner().datanets.validateUpload({ uploadId: other.id }), "CONFLICT", /being imported/);
    expect(await owner().datanets.upload({ uploadId: other.id })).toMatchObject({ status: "importing", interrupted: false });
  });

  it("sees a run without a heartbeat for a minute as interrupted, and lets it run again", async () => {
    const received = await upload("restart.jsonl", lines(20, "restart"));
    await leaveRun(received.id, "validating", 61);
    expect(await owner().datanets.upload({ uploadId: received.id })).toMatchObject({ status: "validating", interrupted: true });
    expect((await owner().datanets.openUploads({ datanetId })).find((u) => u.id === received.id)).toMatchObject({ interrupted: true });
    await expectTRPCError(owner().datanets.importUpload({ uploadId: received.id }), "BAD_REQUEST", /Validate the upload/);

    expect(await owner().datanets.validateUpload({ uploadId: received.id })).toMatchObject({ status: "validating", interrupted: false });
    expect(await waitForUpload(owner(), received.id)).toMatchObject({ status: "validated", validRows: 20 });

    await leaveRun(received.id, "importing", 120);
    expect(await owner().datanets.upload({ uploadId: received.id })).toMatchObject({ status: "importing", interrupted: true });
    await owner().datanets.importUpload({ uploadId: received.id });
    expect(await waitForUpload(owner(), received.id)).toMatchObject({ status: "imported", validRows: 20 });
    expect(await recordsOf(received.id)).toBe(20);
  });

  it("cancelling during validation stops the run and leaves no upload, file, report or record", async () => {
    const received = await upload("cancel.jsonl", lines(100, "cancel"));
    const { caller } = holding(500);
    await caller.datanets.validateUpload({ uploadId: received.id });
    await waitForUpload(caller, received.id, (u) => u.processedBytes > 0);
    await caller.datanets.cancelUpload({ uploadId: received.id });
    expect(await testBlobs.list(received.blobKey)).toEqual([]);
    await expectTRPCError(caller.datanets.upload({ uploadId: received.id }), "NOT_FOUND");
    expect(await recordsOf(received.id)).toBe(0);
  });

  it("cancelling during an import stops it before any record is made", async () => {
    const received = await upload("cancel-import.jsonl", lines(100, "cancel-import"));
    await owner().datanets.validateUpload({ uploadId: received.id });
    await waitForUpload(owner(), received.id);
    const { caller } = holding(2000);
    await caller.datanets.importUpload({ uploadId: received.id });
    await waitForUpload(caller, received.id, (u) => u.processedBytes > 0);
    await caller.datanets.cancelUpload({ uploadId: received.id });
    expect(await testBlobs.list(received.blobKey)).toEqual([]);
    expect(await recordsOf(received.id)).toBe(0);
    expect(await stagedOf(received.id)).toBe(0);
  });

  it("a failed validation goes back to where it started, with its message and without its partial report", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const received = await upload("broken.jsonl", lines(30, "broken"));
    const failing = holding(200, new Error("disk read failed")).caller;
    await failing.datanets.validateUpload({ uploadId: received.id });
    const failed = await waitForUpload(failing, received.id);
    expect(failed).toMatchObject({ status: "uploaded", validRows: 0 });
    expect(failed.error).toMatch(/^Validation of broken\.jsonl stopped on a server error; nothing was kept from this attempt\. Try again/);
    expect(await testBlobs.list(received.blobKey)).toEqual([received.blobKey]);

    await owner().datanets.validateUpload({ uploadId: received.id });
    const validated = await waitForUpload(owner(), received.id);
    expect(validated).toMatchObject({ status: "validated", validRows: 30, error: null });

    // Checked again and failing: the last good report and counts stay.
    await failing.datanets.validateUpload({ uploadId: received.id, options: { jsonlShape: "openai-chat" } });
    const again = await waitForUpload(failing, received.id);
    expect(again).toMatchObject({ status: "validated", validRows: 30, reportBlobKey: validated.reportBlobKey, parseOptions: {} });
    expect(again.error).toMatch(/stopped on a server error/);
    expect(await testBlobs.list(received.blobKey)).toEqual([received.blobKey, validated.reportBlobKey].sort());
  });

  it("a failed import rolls its transaction back: no records, no staged rows, the message on the upload", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const received = await upload("rollback.jsonl", [lines(10, "rollback"), chat("boom?", "The trigger refuses this one.")].join("\n"));
    await owner().datanets.validateUpload({ uploadId: received.id });
    expect(await waitForUpload(owner(), received.id)).toMatchObject({ status: "validated", validRows: 11 });

    // The 11th insert fails inside the transaction, after ten went in.
    await database.db.execute(sql`create function refuse_boom() returns trigger language plpgsql as $$
      begin if new.content::text like '%boom?%' then raise exception 'refused by test trigger'; end if; return new; end $$`);
    await database.db.execute(sql`create trigger refuse_boom before insert on datanet_records for each row execute function refuse_boom()`);
    try {
      await owner().datanets.importUpload({ uploadId: received.id });
      const failed = await waitForUpload(owner(), received.id);
      expect(failed).toMatchObject({ status: "validated", validRows: 11 });
      expect(failed.error).toMatch(/^Import of rollback\.jsonl stopped on a server error/);
      expect(await recordsOf(received.id)).toBe(0);
      expect(await stagedOf(received.id)).toBe(0);
    } finally {
      await database.db.execute(sql`drop trigger refuse_boom on datanet_records`);
      await database.db.execute(sql`drop function refuse_boom()`);
    }

    // A failure while reading the file, before the transaction, leaves nothing either.
    const broken = holding(300, new Error("disk read failed")).caller;
    await broken.datanets.importUpload({ uploadId: received.id });
    expect(await waitForUpload(broken, received.id)).toMatchObject({ status: "validated", error: expect.stringMatching(/^Import of rollback\.jsonl stopped/) });
    expect(await stagedOf(received.id)).toBe(0);

    await owner().datanets.importUpload({ uploadId: received.id });
    expect(await waitForUpload(owner(), received.id)).toMatchObject({ status: "imported", validRows: 11, error: null });
    const [row] = await database.db
      .select({ n: count() })
      .from(datanetRecords)
      .where(and(eq(datanetRecords.uploadId, received.id), eq(datanetRecords.sourceFile, "rollback.jsonl")));
    expect(row!.n).toBe(11);
  });
});
