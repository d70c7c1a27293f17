// Validation and import of an upload run in the background of the server process. The request
// that starts a run claims the upload row (server/datanets/uploads.ts) and returns at once; the
// run writes its progress on the row about once a second, and ends by moving the row on
// (validated, imported) or back to where it started, with the error. An AbortController per
// upload, kept for the whole process, lets a cancel stop a run of this process.
import { TRPCError } from "@trpc/server";
import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import type { Db } from "@/server/db/connect";
import type { RecordFormat } from "@/server/db/schema";
import {
  clearOtherRunsRows,
  clearStagedRows,
  existingHashes,
  finishRun,
  insertStagedRecords,
  recordProgress,
  stageRows,
  type RecordStamp,
  reclaimStagingSpace,
  type StagedRow,
} from "@/server/db/queries/uploads";
import type { BlobStore } from "@/server/storage/types";
import { HashLines } from "./hash-lines";
import { parseUpload, type FileKind, type Issue, type UploadResult } from "./parse";
import type { ParseOptions } from "./uploads";

/** Issues kept on the upload row for the UI; the report blob has all of them. */
const ISSUES_SHOWN = 100;
/** Rows per lookup of existing hashes, and per staging insert. */
const HASH_BATCH = 5000;
/** Staged rows per insert inside the import transaction: between two, the event loop serves requests. */
const COMMIT_BATCH = 20_000;
const PROGRESS_INTERVAL_MS = 1000;

export interface RunContext {
  db: Db;
  store: BlobStore;
  upload: { id: string; blobKey: string; fileName: string; kind: string; reportBlobKey: string | null };
  datanet: { id: string; recordFormat: RecordFormat };
  runId: string;
}

type Progress = { processedBytes: number; processedRows: number };

/** Why a run was stopped from outside: the upload was cancelled, or another run took it over. */
class RunStopped extends Error {
  constructor(readonly why: "cancelled" | "lost") {
    super(`upload run ${why}`);
  }
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

// On globalThis, like the database handle: every route bundle of the server shares one registry.
const globalRuns = globalThis as unknown as { tributaryUploadRuns?: Map<string, ActiveRun> };
const runs = (globalRuns.tributaryUploadRuns ??= new Map());

/** Starts `work` without waiting for it; a run of the same upload left in this process is stopped first. */
export function launchRun(uploadId: string, work: (controller: AbortController) => Promise<void>): void {
  const previous = runs.get(uploadId);
  previous?.controller.abort(new RunStopped("lost"));
  const controller = new AbortController();
  const done = (async () => {
    await previous?.done;
    await work(controller);
  })()
    .catch((error: unknown) => console.error(`upload ${uploadId}: run failed to clean up:`, error))
    .finally(() => {
      if (runs.get(uploadId)?.controller === controller) runs.delete(uploadId);
    });
  runs.set(uploadId, { controller, done });
}

/** Stops this process's run of the upload, if any, and waits until it has cleaned up. */
export async function stopRun(uploadId: string): Promise<void> {
  const run = runs.get(uploadId);
  if (!run) return;
  run.controller.abort(new RunStopped("cancelled"));
  await run.done;
}

/**
 * Writes `progress` about once a second while the run lasts, so a stale heartbeat means a dead
 * server; aborts the run when the upload is no longer its own. Returns the function that stops it.
 */
function heartbeat(db: Db, uploadId: string, runId: string, progress: Progress, controller: AbortController): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = recordProgress(db, uploadId, runId, { ...progress })
      .then((owned) => {
        if (!owned) controller.abort(new RunStopped("lost"));
      })
      .catch((error: unknown) => console.error(`upload ${uploadId}: progress not saved:`, error))
      .finally(() => {
        inFlight = null;
      });
  }, PROGRESS_INTERVAL_MS);
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}

/** The message kept on the upload for a failed run: the contributor's to read, so no internals. */
function failureMessage(what: "Validation" | "Import", fileName: string, error: unknown): string {
  if (error instanceof TRPCError) return error.message;
  return `${what} of ${fileName} stopped on a server error; nothing was kept from this attempt. Try again; if it fails again, the server log has the details.`;
}

/** The upload's bytes, counted into `progress` as the parser reads them, until the run is stopped. */
async function* counted(stream: Readable, progress: Progress, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  // A stop must not wait for a slow read (a stalled S3 response, say) to return.
  const stopped = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  stopped.catch(() => undefined);
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([chunks.next(), stopped]);
      if (next.done) return;
      progress.processedBytes += next.value.length;
      yield next.value;
    }
  } finally {
    stream.destroy();
  }
}

async function* parsed(ctx: RunContext, options: ParseOptions, progress: Progress, signal: AbortSignal) {
  const rows = parseUpload(counted(await ctx.store.get(ctx.upload.blobKey), progress, signal), {
    fileName: ctx.upload.fileName,
    format: ctx.datanet.recordFormat,
    kind: ctx.upload.kind as FileKind,
    jsonlShape: options.jsonlShape,
    csv: options.csv,
  });
  for await (const row of rows) {
    progress.processedRows++;
    yield row;
  }
}

/** Valid rows with their duplicates marked, in batches, so existing hashes are looked up in bulk. */
async function* classified(db: Db, datanetId: string, rows: AsyncIterable<UploadResult>, signal: AbortSignal) {
  // Within-file duplicates: 20 bytes per slot (server/datanets/hash-lines.ts).
  const seen = new HashLines();
  let batch: Extract<UploadResult, { ok: true }>[] = [];
  async function* flush() {
    const existing = await existingHashes(db, datanetId, [...new Set(batch.map((r) => r.contentHash))]);
    for (const row of batch) {
      const earlierLine = seen.get(row.contentHash);
      const existingId = existing.get(row.contentHash);
      if (existingId) yield { row, duplicate: `duplicate of record ${existingId}, already in this Datanet` };
      else if (earlierLine !== undefined) yield { row, duplicate: `duplicate of line ${earlierLine} of this file` };
      else {
        seen.set(row.contentHash, row.line);
        yield { row, duplicate: null };
      }
    }
    batch = [];
  }
  for await (const result of rows) {
    signal.throwIfAborted();
    if (!result.ok) {
      yield { error: result };
      continue;
    }
    batch.push(result);
    if (batch.length >= HASH_BATCH) yield* flush();
  }
  yield* flush();
}

/** Parses the whole file; counts valid, invalid and duplicate rows; writes the full report. */
export async function validationRun(ctx: RunContext, options: ParseOptions, controller: AbortController): Promise<void> {
  const { db, store, upload, runId } = ctx;
  const progress: Progress = { processedBytes: 0, processedRows: 0 };
  const stopHeartbeat = heartbeat(db, upload.id, runId, progress, controller);
  // Each run writes its own report, so a failed run leaves the last good one in place.
  const reportKey = `${upload.blobKey}.report-${runId}.jsonl`;
  const report = new PassThrough();
  const reportWritten = store.put(reportKey, report, { contentType: "application/x-ndjson" });
  const shown: Issue[] = [];
  const counts = { valid: 0, errors: 0, duplicates: 0 };
  const record = (issue: Issue) => {
    if (shown.length < ISSUES_SHOWN) shown.push(issue);
    report.write(`${JSON.stringify(issue)}\n`);
  };
  try {
    for (const key of await store.list(`${upload.blobKey}.report`)) {
      if (key !== reportKey && key !== upload.reportBlobKey) await store.delete(key); // left by an interrupted run
    }
    for await (const item of classified(db, ctx.datanet.id, parsed(ctx, options, progress, controller.signal), controller.signal)) {
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
    await stopHeartbeat();
    const done = await finishRun(db, upload.id, runId, {
      status: "validated",
      parseOptions: options,
      validRows: counts.valid,
      errorRows: counts.errors,
      duplicateRows: counts.duplicates,
      reportBlobKey: reportKey,
      issues: shown,
      error: null,
      ...progress,
    });
    if (!done) throw new RunStopped("lost");
    if (upload.reportBlobKey && upload.reportBlobKey !== reportKey) await store.delete(upload.reportBlobKey);
  } catch (error) {
    report.destroy();
    await reportWritten.catch(() => undefined);
    await stopHeartbeat();
    await store.delete(reportKey);
    if (error instanceof RunStopped || controller.signal.aborted) return;
    console.error(`upload ${upload.id}: validation failed:`, error);
    // Back to where it started: validated (with the last good report) or uploaded.
    await finishRun(db, upload.id, runId, { status: upload.reportBlobKey ? "validated" : "uploaded", error: failureMessage("Validation", upload.fileName, error) });
  }
}

/**
 * Parses the file again and stages its valid, new rows outside any transaction (the long part,
 * with progress), then creates the records in one transaction: all of them go in, or none do.
 */
export async function importRun(ctx: RunContext, options: ParseOptions, stamp: RecordStamp, controller: AbortController): Promise<void> {
  const { db, upload, runId } = ctx;
  const run = { uploadId: upload.id, runId };
  const progress: Progress = { processedBytes: 0, processedRows: 0 };
  const stopHeartbeat = heartbeat(db, upload.id, runId, progress, controller);
  let staged = 0;
  try {
    await clearOtherRunsRows(db, run);
    let pending: StagedRow[] = [];
    for await (const item of classified(db, ctx.datanet.id, parsed(ctx, options, progress, controller.signal), controller.signal)) {
      if ("error" in item || item.duplicate) continue;
      const { row } = item;
      pending.push({ seq: staged++, contentHash: row.contentHash, content: row.content, sizeBytes: row.sizeBytes, tokens: row.tokens, sourceLine: row.line });
      if (pending.length >= HASH_BATCH) {
        await stageRows(db, run, pending);
        pending = [];
      }
    }
    await stageRows(db, run, pending);
    // The whole file is read: say so before the transaction, which on PGlite holds the database.
    if (!(await recordProgress(db, upload.id, runId, progress))) throw new RunStopped("lost");
    await db.transaction(async (tx) => {
      let imported = 0;
      for (let from = 0; from < staged; from += COMMIT_BATCH) {
        controller.signal.throwIfAborted();
        imported += await insertStagedRecords(tx, run, stamp, from, from + COMMIT_BATCH);
      }
      const done = await finishRun(tx, upload.id, runId, { status: "imported", validRows: imported, error: null, ...progress });
      if (!done) throw new RunStopped("lost");
    });
  } catch (error) {
    if (!(error instanceof RunStopped || controller.signal.aborted)) {
      console.error(`upload ${upload.id}: import failed:`, error);
      await finishRun(db, upload.id, runId, { status: "validated", error: failureMessage("Import", upload.fileName, error) });
    }
  } finally {
    await stopHeartbeat();
    for (let from = 0; from < staged; from += COMMIT_BATCH) await clearStagedRows(db, run, from, from + COMMIT_BATCH);
    if (staged > 0) await reclaimStagingSpace(db).catch((error: unknown) => console.error(`upload ${upload.id}: reclaiming the staging space failed:`, error));
  }
}
