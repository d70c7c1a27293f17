// Datanet uploads, their background runs (claim, heartbeat, finish), the rows an import
// stages, and the one statement per batch that turns staged rows into records.
import { PGlite } from "@electric-sql/pglite";
import { and, asc, desc, eq, gte, inArray, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../connect";
import { datanetRecords, datanetUploadRows, datanetUploads } from "../schema";

/** A run whose heartbeat is older than this is taken to have died with its server. */
export const RUN_STALE_SECONDS = 60;

type UploadStatus = (typeof datanetUploads.$inferSelect)["status"];
type RunStatus = Extract<UploadStatus, "validating" | "importing">;

const stale = sql`${datanetUploads.progressAt} < now() - ${sql.raw(`interval '${RUN_STALE_SECONDS} seconds'`)}`;

export const uploadColumns = {
  id: datanetUploads.id,
  datanetId: datanetUploads.datanetId,
  contributorId: datanetUploads.contributorId,
  contributorOrgId: datanetUploads.contributorOrgId,
  fileName: datanetUploads.fileName,
  kind: datanetUploads.kind,
  blobKey: datanetUploads.blobKey,
  sizeBytes: datanetUploads.sizeBytes,
  sha256: datanetUploads.sha256,
  detected: datanetUploads.detected,
  parseOptions: datanetUploads.parseOptions,
  status: datanetUploads.status,
  validRows: datanetUploads.validRows,
  errorRows: datanetUploads.errorRows,
  duplicateRows: datanetUploads.duplicateRows,
  reportBlobKey: datanetUploads.reportBlobKey,
  issues: datanetUploads.issues,
  error: datanetUploads.error,
  runStartedAt: datanetUploads.runStartedAt,
  processedBytes: datanetUploads.processedBytes,
  processedRows: datanetUploads.processedRows,
  progressAt: datanetUploads.progressAt,
  /** Validating or importing, but no heartbeat for RUN_STALE_SECONDS (by the database's clock). */
  interrupted: sql<boolean>`(${datanetUploads.status} in ('validating', 'importing') and coalesce(${stale}, true))`.as("interrupted"),
  createdAt: datanetUploads.createdAt,
};

export async function insertUpload(db: Db, values: typeof datanetUploads.$inferInsert) {
  const [row] = await db.insert(datanetUploads).values(values).returning(uploadColumns);
  if (!row) throw new Error("upload insert returned no row");
  return row;
}

/** The upload if `contributorId` made it. */
export async function findOwnUpload(db: Db, uploadId: string, contributorId: string) {
  const [row] = await db
    .select(uploadColumns)
    .from(datanetUploads)
    .where(and(eq(datanetUploads.id, uploadId), eq(datanetUploads.contributorId, contributorId)));
  return row ?? null;
}

export async function updateUpload(db: Db, uploadId: string, patch: Partial<typeof datanetUploads.$inferInsert>) {
  const [row] = await db.update(datanetUploads).set(patch).where(eq(datanetUploads.id, uploadId)).returning(uploadColumns);
  return row ?? null;
}

/**
 * Starts a run: moves the upload to `running` from one of `from`, or takes over a run of the
 * same kind whose heartbeat went stale. Null when the upload is in neither state, which is
 * how two runs of one upload are kept apart, across processes too.
 */
export async function claimRun(db: Db, params: { uploadId: string; contributorId: string; from: UploadStatus[]; running: RunStatus; runId: string }) {
  const [row] = await db
    .update(datanetUploads)
    .set({ status: params.running, runId: params.runId, runStartedAt: sql`now()`, progressAt: sql`now()`, processedBytes: 0, processedRows: 0, error: null })
    .where(
      and(
        eq(datanetUploads.id, params.uploadId),
        eq(datanetUploads.contributorId, params.contributorId),
        or(inArray(datanetUploads.status, params.from), and(eq(datanetUploads.status, params.running), stale)),
      ),
    )
    .returning(uploadColumns);
  return row ?? null;
}

/** The run's heartbeat with its progress; false when the run no longer owns the upload (cancelled, taken over). */
export async function recordProgress(db: Db, uploadId: string, runId: string, progress: { processedBytes: number; processedRows: number }): Promise<boolean> {
  const rows = await db
    .update(datanetUploads)
    .set({ ...progress, progressAt: sql`now()` })
    .where(and(eq(datanetUploads.id, uploadId), eq(datanetUploads.runId, runId)))
    .returning({ id: datanetUploads.id });
  return rows.length > 0;
}

/** Ends the run with `patch` if it still owns the upload; null otherwise. */
export async function finishRun(db: Db, uploadId: string, runId: string, patch: Partial<typeof datanetUploads.$inferInsert>) {
  const [row] = await db
    .update(datanetUploads)
    .set({ ...patch, runId: null })
    .where(and(eq(datanetUploads.id, uploadId), eq(datanetUploads.runId, runId)))
    .returning(uploadColumns);
  return row ?? null;
}

export async function deleteUpload(db: Db, uploadId: string): Promise<void> {
  await db.delete(datanetUploads).where(eq(datanetUploads.id, uploadId));
}

/** Existing records of this datanet among the given content hashes: hash → record id. */
export async function existingHashes(db: Db, datanetId: string, hashes: string[]): Promise<Map<string, string>> {
  if (hashes.length === 0) return new Map();
  const rows = await db
    .select({ id: datanetRecords.id, contentHash: datanetRecords.contentHash })
    .from(datanetRecords)
    .where(and(eq(datanetRecords.datanetId, datanetId), inArray(datanetRecords.contentHash, hashes)));
  return new Map(rows.map((r) => [r.contentHash, r.id]));
}

export type StagedRow = Pick<typeof datanetUploadRows.$inferInsert, "seq" | "contentHash" | "content" | "sizeBytes" | "tokens" | "sourceLine">;
type Run = { uploadId: string; runId: string };

/** Stages parsed rows of an import run: one JSON parameter per batch, the same on both drivers. */
export async function stageRows(db: Db, run: Run, rows: StagedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const batch = JSON.stringify(rows.map((r) => [r.seq, r.contentHash, r.content, r.sizeBytes, r.tokens, r.sourceLine]));
  await db
    .insert(datanetUploadRows)
    .select(
      sql`select ${run.uploadId}::uuid, ${run.runId}::uuid, (r->>0)::int, r->>1, r->2, (r->>3)::int, (r->>4)::int, (r->>5)::int from jsonb_array_elements(${batch}::jsonb) as r`,
    );
}

/** Deletes a run's staged rows with `fromSeq <= seq < toSeq`. */
export async function clearStagedRows(db: Db, run: Run, fromSeq: number, toSeq: number): Promise<void> {
  const staged = datanetUploadRows;
  await db.delete(staged).where(and(eq(staged.uploadId, run.uploadId), eq(staged.runId, run.runId), gte(staged.seq, fromSeq), lt(staged.seq, toSeq)));
}

/**
 * After an import on PGlite: gives the space of the deleted staged rows back and lets the WAL
 * shrink. Embedded Postgres runs no autovacuum and no checkpointer, so otherwise a 1 GB import
 * leaves its staging table's pages and ~6 GB of WAL on disk. Postgres does both by itself.
 */
export async function reclaimStagingSpace(db: Db): Promise<void> {
  if (!((db as { $client?: unknown }).$client instanceof PGlite)) return;
  await db.execute(sql`vacuum ${datanetUploadRows}`);
  await db.execute(sql`checkpoint`);
}

/** Deletes the rows that earlier, interrupted runs of this upload staged. */
export async function clearOtherRunsRows(db: Db, run: Run): Promise<void> {
  await db.delete(datanetUploadRows).where(and(eq(datanetUploadRows.uploadId, run.uploadId), ne(datanetUploadRows.runId, run.runId)));
}

export type RecordStamp = Pick<typeof datanetRecords.$inferInsert, "datanetId" | "contributorId" | "contributorWallet" | "contributorOrgId" | "sourceFile" | "status">;

/**
 * Turns a run's staged rows with `fromSeq <= seq < toSeq` into records with `stamp`, in one
 * statement, skipping hashes the Datanet already has; returns how many went in.
 */
export async function insertStagedRecords(db: Db, run: Run, stamp: RecordStamp, fromSeq: number, toSeq: number): Promise<number> {
  const staged = datanetUploadRows;
  const inserted = await db
    .insert(datanetRecords)
    .select(
      db
        .select({
          id: sql`gen_random_uuid()`.as("id"),
          datanetId: sql`${stamp.datanetId}::uuid`.as("datanet_id"),
          uploadId: staged.uploadId,
          contributorId: sql`${stamp.contributorId ?? null}::uuid`.as("contributor_id"),
          contributorWallet: sql`${stamp.contributorWallet ?? null}::text`.as("contributor_wallet"),
          contributorOrgId: sql`${stamp.contributorOrgId ?? null}::uuid`.as("contributor_org_id"),
          contentHash: staged.contentHash,
          content: staged.content,
          sizeBytes: staged.sizeBytes,
          tokens: staged.tokens,
          sourceFile: sql`${stamp.sourceFile}::text`.as("source_file"),
          sourceLine: staged.sourceLine,
          status: sql`${stamp.status ?? "pending"}::record_status`.as("status"),
          reviewReason: sql`null::text`.as("review_reason"),
          reviewedBy: sql`null::uuid`.as("reviewed_by"),
          reviewedAt: sql`null::timestamptz`.as("reviewed_at"),
          createdAt: sql`now()`.as("created_at"),
        })
        .from(staged)
        .where(and(eq(staged.uploadId, run.uploadId), eq(staged.runId, run.runId), gte(staged.seq, fromSeq), lt(staged.seq, toSeq)))
        .orderBy(asc(staged.seq)),
    )
    .onConflictDoNothing()
    .returning({ id: datanetRecords.id });
  return inserted.length;
}

/** The contributor's uploads to a datanet that are not imported yet, newest first. */
export async function listOpenUploads(db: Db, datanetId: string, contributorId: string) {
  return db
    .select(uploadColumns)
    .from(datanetUploads)
    .where(and(eq(datanetUploads.datanetId, datanetId), eq(datanetUploads.contributorId, contributorId), ne(datanetUploads.status, "imported")))
    .orderBy(desc(datanetUploads.createdAt));
}
