// Datanet records: paginated browsing with filters, review decisions, leaderboard.
import { and, count, desc, eq, ilike, inArray, sql, sum } from "drizzle-orm";
import type { Db } from "../connect";
import { datanetRecords, users } from "../schema";

type RecordStatus = "pending" | "accepted" | "rejected";

export interface RecordFilter {
  datanetId: string;
  status?: RecordStatus;
  contributorId?: string;
  /** Case-insensitive match anywhere in the record's text. */
  search?: string;
}

function whereOf(filter: RecordFilter) {
  return and(
    eq(datanetRecords.datanetId, filter.datanetId),
    filter.status ? eq(datanetRecords.status, filter.status) : undefined,
    filter.contributorId ? eq(datanetRecords.contributorId, filter.contributorId) : undefined,
    filter.search ? ilike(sql`${datanetRecords.content}::text`, `%${filter.search}%`) : undefined,
  );
}

export async function listRecords(db: Db, filter: RecordFilter, page: { limit: number; offset: number }) {
  const where = whereOf(filter);
  const [rows, [total]] = await Promise.all([
    db
      .select({
        id: datanetRecords.id,
        content: datanetRecords.content,
        contentHash: datanetRecords.contentHash,
        sizeBytes: datanetRecords.sizeBytes,
        tokens: datanetRecords.tokens,
        sourceFile: datanetRecords.sourceFile,
        sourceLine: datanetRecords.sourceLine,
        status: datanetRecords.status,
        reviewReason: datanetRecords.reviewReason,
        contributorId: datanetRecords.contributorId,
        contributorName: users.name,
        contributorWallet: datanetRecords.contributorWallet,
        createdAt: datanetRecords.createdAt,
      })
      .from(datanetRecords)
      .leftJoin(users, eq(datanetRecords.contributorId, users.id))
      .where(where)
      .orderBy(desc(datanetRecords.createdAt), desc(datanetRecords.id))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: count() }).from(datanetRecords).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/** Sets the decision on records of this datanet that are not already in that state; returns how many changed. */
export async function setRecordStatus(
  db: Db,
  datanetId: string,
  recordIds: string[],
  decision: { status: RecordStatus; reason: string | null; reviewerId: string },
): Promise<number> {
  const rows = await db
    .update(datanetRecords)
    .set({ status: decision.status, reviewReason: decision.reason, reviewedBy: decision.reviewerId, reviewedAt: sql`now()` })
    .where(and(eq(datanetRecords.datanetId, datanetId), inArray(datanetRecords.id, recordIds), sql`${datanetRecords.status} <> ${decision.status}`))
    .returning({ id: datanetRecords.id });
  return rows.length;
}

/** Contributors ranked by accepted records, with their tokens. */
export async function contributorLeaderboard(db: Db, datanetId: string, limit = 20) {
  return db
    .select({
      contributorId: datanetRecords.contributorId,
      name: users.name,
      walletAddress: users.walletAddress,
      records: count(),
      tokens: sum(datanetRecords.tokens).mapWith(Number),
    })
    .from(datanetRecords)
    .leftJoin(users, eq(datanetRecords.contributorId, users.id))
    .where(and(eq(datanetRecords.datanetId, datanetId), eq(datanetRecords.status, "accepted")))
    .groupBy(datanetRecords.contributorId, users.name, users.walletAddress)
    .orderBy(desc(count()))
    .limit(limit);
}
