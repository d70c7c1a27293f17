// Contributions: a file's bytes stream to blob storage, its format is detected, every
// row is validated into a report (file, line, field, fix), and then the valid rows are
// imported as records with their contributor and content hash. Validation and import run in
// the background (./upload-runs.ts); these functions check who may start them and claim the
// upload. A failed run leaves no records and no partial report; a cancelled upload is deleted
// with its blobs.
import { randomBytes, randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { findDatanetById } from "@/server/db/queries/datanets";
import { findMemberRole, findMembershipBySlug } from "@/server/db/queries/orgs";
import { listRecords } from "@/server/db/queries/records";
import { claimRun, deleteUpload, findOwnUpload, insertUpload, listOpenUploads } from "@/server/db/queries/uploads";
import { findUserById } from "@/server/db/queries/users";
import type { RecordStatus } from "@/server/db/schema";
import { hasRole } from "@/server/orgs/roles";
import type { BlobStore } from "@/server/storage/types";
import { csvHeaders, csvParseOptionsSchema } from "./parse/csv";
import { detectFileKind, type FileKind } from "./parse";
import { detectJsonlShape, jsonlShapes } from "./parse/jsonl";
import { readLines } from "./parse/lines";
import { importRun, launchRun, stopRun, validationRun } from "./upload-runs";

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

export const validateInput = z.object({ uploadId: z.uuid(), options: parseOptionsSchema.default({}) });

const runningMessages = {
  validating: "This upload is being validated; wait for the check to finish, or cancel it.",
  importing: "This upload is being imported; wait for the import to finish.",
} as const;

/** Refuses a second run while one is under way (a stale one may be run again): two would race on its rows and report. */
function refuseIfRunning(upload: { status: string; interrupted: boolean }) {
  if ((upload.status === "validating" || upload.status === "importing") && !upload.interrupted) {
    throw new TRPCError({ code: "CONFLICT", message: runningMessages[upload.status] });
  }
}

/** Moves the upload into a run of its own, or refuses when another request got there first. */
async function claim(db: Db, userId: string, uploadId: string, from: ("uploaded" | "validated")[], running: keyof typeof runningMessages) {
  const runId = randomUUID();
  const claimed = await claimRun(db, { uploadId, contributorId: userId, from, running, runId });
  if (!claimed) throw new TRPCError({ code: "CONFLICT", message: runningMessages[running] });
  return { claimed, runId };
}

/**
 * Starts validation in the background and returns the upload as `validating`: the run parses
 * the whole file, counts valid, invalid and duplicate rows and writes the full report
 * (server/datanets/upload-runs.ts). An interrupted validation may be started again.
 */
export async function validateUpload(db: Db, store: BlobStore, userId: string, input: z.infer<typeof validateInput>) {
  const { upload, datanet } = await ownUpload(db, userId, input.uploadId);
  if (upload.status === "imported") throw new TRPCError({ code: "BAD_REQUEST", message: "This upload was already imported." });
  refuseIfRunning(upload);
  if (upload.status === "importing") throw new TRPCError({ code: "BAD_REQUEST", message: "This upload's import was interrupted; retry the import or cancel the upload." });
  const { claimed, runId } = await claim(db, userId, upload.id, ["uploaded", "validated"], "validating");
  launchRun(upload.id, (controller) => validationRun({ db, store, upload, datanet, runId }, input.options, controller));
  return claimed;
}

export const importInput = z.object({ uploadId: z.uuid(), skipInvalid: z.boolean().default(false) });

/**
 * Starts the import in the background and returns the upload as `importing`, with the review
 * status its records will get. The run creates the records in one transaction: all valid rows
 * go in, or none do. An interrupted import may be started again.
 */
export async function importUpload(db: Db, store: BlobStore, userId: string, input: z.infer<typeof importInput>) {
  const { upload, datanet } = await ownUpload(db, userId, input.uploadId);
  refuseIfRunning(upload);
  if (upload.status !== "validated" && upload.status !== "importing") {
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
  const status: RecordStatus = autoAccept ? "accepted" : "pending";
  const stamp = {
    datanetId: datanet.id,
    contributorId: userId,
    contributorWallet: contributor?.walletAddress ?? null,
    contributorOrgId: upload.contributorOrgId,
    sourceFile: upload.fileName,
    status,
  } as const;
  const { claimed, runId } = await claim(db, userId, upload.id, ["validated"], "importing");
  launchRun(upload.id, (controller) => importRun({ db, store, upload, datanet, runId }, options, stamp, controller));
  return { upload: claimed, status };
}

export const uploadIdInput = z.object({ uploadId: z.uuid() });

/** The upload as its contributor sees it, polled while a run is under way. */
export async function getUpload(db: Db, userId: string, input: z.infer<typeof uploadIdInput>) {
  return (await ownUpload(db, userId, input.uploadId)).upload;
}

/** Deletes an upload that was not imported, with its file and reports; a run under way here is stopped first. */
export async function cancelUpload(db: Db, store: BlobStore, userId: string, input: z.infer<typeof uploadIdInput>) {
  let { upload } = await ownUpload(db, userId, input.uploadId);
  if (upload.status === "validating" || upload.status === "importing") {
    await stopRun(upload.id);
    // The import may have committed before the stop reached it.
    ({ upload } = await ownUpload(db, userId, input.uploadId));
  }
  if (upload.status === "imported") {
    throw new TRPCError({ code: "BAD_REQUEST", message: "This upload was imported; its records stay. Ask a curator to reject them instead." });
  }
  // A run on another server loses the row (and its staged rows, by cascade) and stops itself.
  await store.deletePrefix(upload.blobKey);
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
