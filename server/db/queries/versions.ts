// Datanet versions: the accepted records to freeze, the previous version's membership,
// and the version rows themselves. Keyset pagination keeps memory flat on big datanets.
import { and, asc, desc, eq, gt, max } from "drizzle-orm";
import type { Db, Tx } from "../connect";
import { datanetRecords, datanets, datanetVersionRecords, datanetVersions } from "../schema";

export async function* acceptedRecordBatches(db: Db, datanetId: string, batchSize = 1000) {
  let after: string | null = null;
  for (;;) {
    const rows = await db
      .select({
        id: datanetRecords.id,
        contentHash: datanetRecords.contentHash,
        contributorId: datanetRecords.contributorId,
        contributorWallet: datanetRecords.contributorWallet,
        tokens: datanetRecords.tokens,
        content: datanetRecords.content,
      })
      .from(datanetRecords)
      .where(and(eq(datanetRecords.datanetId, datanetId), eq(datanetRecords.status, "accepted"), after ? gt(datanetRecords.id, after) : undefined))
      .orderBy(asc(datanetRecords.id))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.id;
  }
}

export async function latestVersion(db: Db, datanetId: string) {
  const [row] = await db
    .select({ id: datanetVersions.id, number: datanetVersions.number })
    .from(datanetVersions)
    .where(eq(datanetVersions.datanetId, datanetId))
    .orderBy(desc(datanetVersions.number))
    .limit(1);
  return row ?? null;
}

export async function versionMembership(db: Db, versionId: string) {
  return db
    .select({ recordId: datanetVersionRecords.recordId, contributorId: datanetVersionRecords.contributorId })
    .from(datanetVersionRecords)
    .where(eq(datanetVersionRecords.versionId, versionId));
}

export async function nextVersionNumber(db: Db, datanetId: string): Promise<number> {
  const [row] = await db.select({ n: max(datanetVersions.number) }).from(datanetVersions).where(eq(datanetVersions.datanetId, datanetId));
  return (row?.n ?? 0) + 1;
}

export async function insertVersion(
  db: Db,
  version: typeof datanetVersions.$inferInsert,
  members: { recordId: string; contributorId: string | null }[],
  /** Runs in the same transaction once the version exists (e.g. to queue its chain commit). */
  onInserted?: (tx: Tx, version: { id: string; number: number }) => Promise<void>,
) {
  return db.transaction(async (tx) => {
    // Serialize publishes of one datanet; the unique (datanet, number) index backs this up.
    await tx.select({ id: datanets.id }).from(datanets).where(eq(datanets.id, version.datanetId)).for("update");
    const [row] = await tx.insert(datanetVersions).values(version).returning({ id: datanetVersions.id, number: datanetVersions.number });
    if (!row) throw new Error("version insert returned no row");
    for (let i = 0; i < members.length; i += 5000) {
      await tx.insert(datanetVersionRecords).values(members.slice(i, i + 5000).map((m) => ({ versionId: row.id, ...m })));
    }
    await onInserted?.(tx, row);
    return row;
  });
}

export async function listVersions(db: Db, datanetId: string) {
  return db
    .select({
      id: datanetVersions.id,
      number: datanetVersions.number,
      merkleRoot: datanetVersions.merkleRoot,
      recordCount: datanetVersions.recordCount,
      contributorCount: datanetVersions.contributorCount,
      tokenCount: datanetVersions.tokenCount,
      recordsAdded: datanetVersions.recordsAdded,
      recordsRemoved: datanetVersions.recordsRemoved,
      contributorsAdded: datanetVersions.contributorsAdded,
      contributorsRemoved: datanetVersions.contributorsRemoved,
      createdAt: datanetVersions.createdAt,
    })
    .from(datanetVersions)
    .where(eq(datanetVersions.datanetId, datanetId))
    .orderBy(desc(datanetVersions.number));
}

export async function findVersion(db: Db, datanetId: string, number: number) {
  const [row] = await db
    .select({ id: datanetVersions.id, snapshotBlobKey: datanetVersions.snapshotBlobKey, manifestBlobKey: datanetVersions.manifestBlobKey })
    .from(datanetVersions)
    .where(and(eq(datanetVersions.datanetId, datanetId), eq(datanetVersions.number, number)));
  return row ?? null;
}
