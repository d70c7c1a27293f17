// Contributions: a file's bytes stream to blob storage, its format is detected, every
// row is validated into a report (file, line, field, fix), and then the valid rows are
// imported as records with their contributor and content hash. A failed or cancelled
// upload is deleted with its blobs: it leaves no records and no orphan files.
import { randomBytes } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { findDatanetById } from "@/server/db/queries/datanets";
import { findMemberRole, findMembershipBySlug } from "@/server/db/queries/orgs";
import { listRecords } from "@/server/db/queries/records";
import { deleteUpload, existingHashes, findOwnUpload, insertRecords, insertUpload, listOpenUploads, updateUpload } from "@/server/db/queries/uploads";
import { findUserById } from "@/server/db/queries/users";
import { hasRole } from "@/server/orgs/roles";
import type { BlobStore } from "@/server/storage/types";
import { csvHeaders, csvParseOptionsSchema } from "./parse/csv";
import { detectFileKind, parseUpload, type FileKind, type Issue, type UploadResult } from "./parse";
import { detectJsonlShape, jsonlShapes } from "./parse/jsonl";
import { readLines } from "./parse/lines";

/** Issues kept on the upload row for the UI; the report blob has all of them. */
const ISSUES_SHOWN = 100;
const HASH_BATCH = 5000;

type Datanet = NonNullable<Awaited<ReturnType<typeof findDatanetById>>>;

/** Who may contribute, from which org, and whether their records skip review. */
async function contributionTarget(db: Db, userId: string, datanetId: string, fromOrgSlug: string | undefined) {
  const datanet = await findDatanetById(db, datanetId);
  const role = datanet ? await findMemberRole(db, datanet.orgId, userId) : null;
  const visible = datanet && (datanet.visibility === "public" || role !== null);
  if (!datanet || !visible) throw new TRPCError({ code: "NOT_FOUND", message: "This Datanet does not exist or is private to its organization." });
  if (datanet.status !== "active") throw new TRPCError({ code: "BAD_REQUEST", message: "This Datanet is still a draft; finish its wizard first." });
  if (datanet.visibility === "private" && !(role && hasRole(role, "member"))) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Only members of the organization can contribute to this private Datanet." });
  }
  let contributorOrgId = role ? datanet.orgId : null;
  if (fromOrgSlug) {
    const membership = await findMembershipBySlug(db, fromOrgSlug, userId);
    if (!membership) throw new TRPCError({ code: "NOT_FOUND", message: `No organization “${fromOrgSlug}” among yours.` });
    contributorOrgId = membership.org.id;
  }
  const autoAccept = role !== null && (hasRole(role, "admin") || (datanet.contributionPolicy === "auto_org" && hasRole(role, "member")));
  return { datanet, contributorOrgId, autoAccept };
}

async function headOf(store: BlobStore, key: string, bytes: number): Promise<Uint8Array> {
  const stream = await store.get(key);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= bytes) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, bytes);
}

/** What the user confirms before validation: the JSONL shape, or CSV headers to map. */
async function detect(store: BlobStore, key: string, kind: FileKind) {
  if (kind === "jsonl") {
    const objects: unknown[] = [];
    const stream = await store.get(key);
    for await (const line of readLines(stream)) {
      if (line.text === null || line.text.trim() === "") continue;
      try {
        objects.push(JSON.parse(line.text));
      } catch {
        break;
      }
      if (objects.length >= 20) break;
    }
    stream.destroy();
    return { jsonl: detectJsonlShape(objects) };
  }
  if (kind === "csv") return { csvHeaders: await csvHeaders(await store.get(key)) };
  return {};
}

export interface ReceiveInput {
  datanetId: string;
  fromOrgSlug?: string;
  fileName: string;
  body: Readable;
}

/** Stores the bytes and detects the format; on any failure nothing is kept. */
export async function receiveUpload(db: Db, store: BlobStore, userId: string, input: ReceiveInput) {
  const { datanet, contributorOrgId } = await contributionTarget(db, userId, input.datanetId, input.fromOrgSlug);
  if (!contributorOrgId) throw new TRPCError({ code: "BAD_REQUEST", message: "Say which of your organizations you contribute from (orgSlug)." });
  const fileName = input.fileName.replace(/[/\\]/g, "_").slice(0, 200);
  const key = `datanets/${datanet.id}/uploads/${randomBytes(12).toString("hex")}`;
  try {
    const blob = await store.put(key, input.body);
    if (blob.sizeBytes === 0) throw new TRPCError({ code: "BAD_REQUEST", message: `${fileName} is empty. Choose a file with records in it.` });
    const kind = detectFileKind(fileName, await headOf(store, key, 4096));
    if (kind.kind === "unknown") throw new TRPCError({ code: "BAD_REQUEST", message: kind.message });
    return await insertUpload(db, {
      datanetId: datanet.id,
      contributorId: userId,
      contributorOrgId,
      fileName,
      kind: kind.kind,
      blobKey: key,
      sizeBytes: blob.sizeBytes,
      sha256: blob.sha256,
      detected: await detect(store, key, kind.kind),
    });
  } catch (error) {
    await store.delete(key);
    throw error;
  }
}

export const parseOptionsSchema = z.object({
  jsonlShape: z.enum(jsonlShapes).optional(),
  csv: csvParseOptionsSchema.optional(),
});
export type ParseOptions = z.infer<typeof parseOptionsSchema>;

async function ownUpload(db: Db, userId: string, uploadId: string) {
  const upload = await findOwnUpload(db, uploadId, userId);
  if (!upload) throw new TRPCError({ code: "NOT_FOUND", message: "This upload does not exist or was cancelled. Upload the file again." });
  const datanet = await findDatanetById(db, upload.datanetId);
  if (!datanet) throw new TRPCError({ code: "NOT_FOUND", message: "The Datanet of this upload was deleted." });
  return { upload, datanet };
}

async function* parsed(store: BlobStore, upload: { blobKey: string; fileName: string; kind: string }, datanet: Datanet, options: ParseOptions) {
  yield* parseUpload(await store.get(upload.blobKey), {
    fileName: upload.fileName,
    format: datanet.recordFormat,
    kind: upload.kind as FileKind,
    jsonlShape: options.jsonlShape,
    csv: options.csv,
  });
}

/**
 * Within-file duplicate detection keys on the first 16 bytes of the hash as a one-byte
 * string (~70 B per distinct row instead of ~300 B for the hex): a 1 GB file of small
 * records stays in the low hundreds of MiB. 128 bits make a false match negligible.
 */
function seenKey(contentHash: string): string {
  return Buffer.from(contentHash.slice(0, 32), "hex").toString("latin1");
}

/** Valid rows with their duplicates marked, in batches, so existing hashes are looked up in bulk. */
async function* classified(db: Db, datanetId: string, rows: AsyncIterable<UploadResult>) {
  const seen = new Map<string, number>();
  let batch: Extract<UploadResult, { ok: true }>[] = [];
  async function* flush() {
    const existing = await existingHashes(db, datanetId, [...new Set(batch.map((r) => r.contentHash))]);
    for (const row of batch) {
      const earlierLine = seen.get(seenKey(row.contentHash));
      const existingId = existing.get(row.contentHash);
      if (existingId) yield { row, duplicate: `duplicate of record ${existingId}, already in this Datanet` };
      else if (earlierLine !== undefined) yield { row, duplicate: `duplicate of line ${earlierLine} of this file` };
      else {
        seen.set(seenKey(row.contentHash), row.line);
        yield { row, duplicate: null };
      }
    }
    batch = [];
  }
  for await (const result of rows) {
    if (!result.ok) {
      yield { error: result };
      continue;
    }
    batch.push(result);
    if (batch.length >= HASH_BATCH) yield* flush();
  }
  yield* flush();
}

export const validateInput = z.object({ uploadId: z.uuid(), options: parseOptionsSchema.default({}) });

/** Parses the whole file; counts valid, invalid and duplicate rows; writes the full report. */
export async function validateUpload(db: Db, store: BlobStore, userId: string, input: z.infer<typeof validateInput>) {
  const { upload, datanet } = await ownUpload(db, userId, input.uploadId);
  if (upload.status === "imported") throw new TRPCError({ code: "BAD_REQUEST", message: "This upload was already imported." });
  const reportKey = `${upload.blobKey}.report.jsonl`;
  const report = new PassThrough();
  const reportWritten = store.put(reportKey, report, { contentType: "application/x-ndjson" });
  const shown: Issue[] = [];
  const counts = { valid: 0, errors: 0, duplicates: 0 };
  const record = (issue: Issue) => {
    if (shown.length < ISSUES_SHOWN) shown.push(issue);
    report.write(`${JSON.stringify(issue)}\n`);
  };
  try {
    for await (const item of classified(db, datanet.id, parsed(store, upload, datanet, input.options))) {
      if ("error" in item) {
        counts.errors++;
        item.error.errors.forEach(record);
      } else if (item.duplicate) {
        counts.duplicates++;
        record({ line: item.row.line, field: "", message: item.duplicate, fix: "it is skipped; the first contributor keeps the credit" });
      } else counts.valid++;
    }
    report.end();
    await reportWritten;
  } catch (error) {
    report.destroy();
    await reportWritten.catch(() => undefined);
    await store.delete(reportKey);
    throw error;
  }
  return updateUpload(db, upload.id, {
    status: "validated",
    parseOptions: input.options,
    validRows: counts.valid,
    errorRows: counts.errors,
    duplicateRows: counts.duplicates,
    reportBlobKey: reportKey,
    issues: shown,
  });
}

export const importInput = z.object({ uploadId: z.uuid(), skipInvalid: z.boolean().default(false) });

/** Creates the records in one transaction: all valid rows go in, or none do. */
export async function importUpload(db: Db, store: BlobStore, userId: string, input: z.infer<typeof importInput>) {
  const { upload, datanet } = await ownUpload(db, userId, input.uploadId);
  if (upload.status !== "validated") {
    throw new TRPCError({ code: "BAD_REQUEST", message: upload.status === "imported" ? "This upload was already imported." : "Validate the upload before importing it." });
  }
  if (upload.errorRows > 0 && !input.skipInvalid) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `${upload.errorRows} row(s) have errors. Fix the file and upload it again, or import only the ${upload.validRows} valid row(s).`,
    });
  }
  const { autoAccept } = await contributionTarget(db, userId, datanet.id, undefined);
  const contributor = await findUserById(db, userId);
  const options = parseOptionsSchema.parse(upload.parseOptions ?? {});
  const imported = await db.transaction(async (tx) => {
    let count = 0;
    let pending: Parameters<typeof insertRecords>[1] = [];
    for await (const item of classified(tx, datanet.id, parsed(store, upload, datanet, options))) {
      if ("error" in item || item.duplicate) continue;
      const { row } = item;
      pending.push({
        datanetId: datanet.id,
        uploadId: upload.id,
        contributorId: userId,
        contributorWallet: contributor?.walletAddress ?? null,
        contributorOrgId: upload.contributorOrgId,
        contentHash: row.contentHash,
        content: row.content,
        sizeBytes: row.sizeBytes,
        tokens: row.tokens,
        sourceFile: upload.fileName,
        sourceLine: row.line,
        status: autoAccept ? "accepted" : "pending",
      });
      if (pending.length >= HASH_BATCH) {
        count += await insertRecords(tx, pending);
        pending = [];
      }
    }
    count += await insertRecords(tx, pending);
    await updateUpload(tx, upload.id, { status: "imported", validRows: count });
    return count;
  });
  return { imported, status: autoAccept ? "accepted" : "pending" };
}

export const uploadIdInput = z.object({ uploadId: z.uuid() });

/** Deletes an upload that was not imported, with its file and report. */
export async function cancelUpload(db: Db, store: BlobStore, userId: string, input: z.infer<typeof uploadIdInput>) {
  const { upload } = await ownUpload(db, userId, input.uploadId);
  if (upload.status === "imported") {
    throw new TRPCError({ code: "BAD_REQUEST", message: "This upload was imported; its records stay. Ask a curator to reject them instead." });
  }
  await store.delete(upload.blobKey);
  if (upload.reportBlobKey) await store.delete(upload.reportBlobKey);
  await deleteUpload(db, upload.id);
}

/** A short-lived link to the full validation report. */
export async function reportUrl(db: Db, store: BlobStore, userId: string, input: z.infer<typeof uploadIdInput>) {
  const { upload } = await ownUpload(db, userId, input.uploadId);
  if (!upload.reportBlobKey) throw new TRPCError({ code: "BAD_REQUEST", message: "Validate the upload first; the report is made then." });
  return { url: await store.presignGet(upload.reportBlobKey, { expiresInSeconds: 600, fileName: `${upload.fileName}.report.jsonl` }) };
}

export const datanetIdInput = z.object({ datanetId: z.uuid() });

/** Uploads the user started on this Datanet and has not imported or cancelled, to resume them. */
export async function openUploads(db: Db, userId: string, input: z.infer<typeof datanetIdInput>) {
  return listOpenUploads(db, input.datanetId, userId);
}

/** A public (or the user's own org's) Datanet as a contributor sees it. */
export async function contributionView(db: Db, userId: string, input: z.infer<typeof datanetIdInput>) {
  const { datanet, autoAccept } = await contributionTarget(db, userId, input.datanetId, undefined);
  return { ...datanet, autoAccept };
}

export const myContributionsInput = datanetIdInput.extend({ page: z.number().int().min(1).max(100_000).default(1) });

/** The user's own records in a Datanet they may contribute to, with review status and reason. */
export async function myContributions(db: Db, userId: string, input: z.infer<typeof myContributionsInput>) {
  await contributionTarget(db, userId, input.datanetId, undefined);
  const pageSize = 25;
  const { rows, total } = await listRecords(db, { datanetId: input.datanetId, contributorId: userId }, { limit: pageSize, offset: (input.page - 1) * pageSize });
  return { rows, total, page: input.page, pageSize };
}
