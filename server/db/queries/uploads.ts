// Datanet uploads and the record inserts of an import.
import { and, desc, eq, inArray, ne } from "drizzle-orm";
import type { Db } from "../connect";
import { datanetRecords, datanetUploads } from "../schema";

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

/** Inserts records, skipping any whose hash another record already has; returns how many went in. */
export async function insertRecords(db: Db, rows: (typeof datanetRecords.$inferInsert)[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db.insert(datanetRecords).values(rows).onConflictDoNothing().returning({ id: datanetRecords.id });
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
