// The chain indexer's reads and writes: cursors, recent block headers, a range's events and
// projections written with the cursor's advance in one transaction (compare-and-set on the
// cursor, so two indexers never both write a range or undo each other), the rollback of orphaned
// blocks, and what the dashboards read. Bulk rows go in as one JSON parameter per statement
// (jsonb_to_recordset): one round trip and no parameter limit, whatever the batch size.
import { and, asc, desc, eq, getTableColumns, gt, inArray, lt, lte, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { DecodedBatch } from "@/server/chain/indexer-decode";
import type { Db, Tx } from "../connect";
import {
  chainBlocks,
  chainCursors,
  chainDatanetRegistrations,
  chainEpochFundings,
  chainEpochs,
  chainEvents,
  chainModelRegistrations,
  chainRewardClaims,
  chainVersionCommits,
  indexedLogTableNames,
  indexedLogTables,
} from "../schema";

export interface CursorKey {
  chainId: number;
  /** chain_cursors.contracts: the indexed addresses, lower-cased, sorted, comma-separated. */
  contracts: string;
}

export interface BlockRef {
  number: bigint;
  /** Null only for the cursor before the start block. */
  hash: string | null;
}

export interface BlockHeader {
  number: bigint;
  hash: string;
  parentHash: string | null;
}

/** Rows per INSERT: bounds the JSON text one statement carries. */
const ROWS_PER_STATEMENT = 5_000;

const cursorWhere = (key: CursorKey) => and(eq(chainCursors.chainId, key.chainId), eq(chainCursors.contracts, key.contracts));

/** The cursor, created at `startBlock − 1` (nothing indexed) the first time. */
export async function ensureCursor(db: Db, key: CursorKey, startBlock: bigint): Promise<BlockRef> {
  await db.insert(chainCursors).values({ ...key, blockNumber: startBlock - 1n, blockHash: null }).onConflictDoNothing();
  const cursor = await readCursor(db, key);
  if (!cursor) throw new Error(`chain ${key.chainId}: the indexer's cursor row is missing right after it was created`);
  return cursor;
}

export async function readCursor(db: Db | Tx, key: CursorKey, lock = false): Promise<BlockRef | null> {
  const query = db.select({ number: chainCursors.blockNumber, hash: chainCursors.blockHash }).from(chainCursors).where(cursorWhere(key));
  const [row] = lock ? await query.for("update") : await query;
  return row ?? null;
}

/** Stored headers at or below `number`, newest first: where a reorg's walk back looks. */
export async function storedBlocksAtOrBelow(db: Db, chainId: number, number: bigint, limit: number): Promise<{ number: bigint; hash: string }[]> {
  return db
    .select({ number: chainBlocks.number, hash: chainBlocks.hash })
    .from(chainBlocks)
    .where(and(eq(chainBlocks.chainId, chainId), lte(chainBlocks.number, number)))
    .orderBy(desc(chainBlocks.number))
    .limit(limit);
}

const toJson = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

/** INSERT … SELECT FROM jsonb_to_recordset(one JSON array) ON CONFLICT DO NOTHING, in chunks. */
async function insertRows<T extends PgTable>(tx: Tx, table: T, rows: readonly T["$inferInsert"][]) {
  if (rows.length === 0) return;
  const columns = Object.entries(getTableColumns(table));
  const names = sql.join(columns.map(([, column]) => sql.identifier(column.name)), sql`, `);
  const types = sql.join(columns.map(([, column]) => sql`${sql.identifier(column.name)} ${sql.raw(column.getSQLType())}`), sql`, `);
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT).map((row) => {
      const record: Record<string, unknown> = {};
      for (const [key, column] of columns) record[column.name] = (row as Record<string, unknown>)[key];
      return record;
    });
    await tx.execute(sql`insert into ${table} (${names}) select ${names} from jsonb_to_recordset(${toJson(chunk)}::jsonb) as r(${types}) on conflict do nothing`);
  }
}

export interface RangeWrite {
  key: CursorKey;
  /** The cursor this indexer read; the write is skipped when another one moved it meanwhile. */
  expected: BlockRef;
  batch: DecodedBatch;
  /** Headers to keep for reorg detection: the range's last block and the blocks with events. */
  blocks: BlockHeader[];
  /** The range's last block: the new cursor. */
  to: { number: bigint; hash: string };
  /** Headers older than `to − keepBlocks` are dropped. */
  keepBlocks: number;
}

/** Writes a range's rows and advances the cursor atomically; false when the cursor had moved (nothing written). */
export async function writeRange(db: Db, write: RangeWrite): Promise<boolean> {
  return db.transaction(async (tx) => {
    const current = await readCursor(tx, write.key, true);
    if (!current || current.number !== write.expected.number || current.hash !== write.expected.hash) return false;
    const { batch } = write;
    // In the list's order: events first, since the projections' foreign keys point at them.
    for (const name of indexedLogTableNames) await insertRows(tx, indexedLogTables[name], batch[name]);
    if (write.blocks.length > 0) {
      await tx
        .insert(chainBlocks)
        .values(write.blocks.map((block) => ({ chainId: write.key.chainId, ...block })))
        .onConflictDoUpdate({ target: [chainBlocks.chainId, chainBlocks.number], set: { hash: sql`excluded.hash`, parentHash: sql`coalesce(excluded.parent_hash, ${chainBlocks.parentHash})` } });
    }
    await tx.delete(chainBlocks).where(and(eq(chainBlocks.chainId, write.key.chainId), lt(chainBlocks.number, write.to.number - BigInt(write.keepBlocks))));
    await tx.update(chainCursors).set({ blockNumber: write.to.number, blockHash: write.to.hash, updatedAt: sql`now()` }).where(cursorWhere(write.key));
    return true;
  });
}

/**
 * Undoes everything indexed on the chain above `fork` (the newest block still canonical): its
 * events (their projections cascade), its headers, and every cursor of the chain past it.
 * False when this indexer's cursor had moved meanwhile (nothing changed).
 */
export async function rollBackTo(db: Db, key: CursorKey, expected: BlockRef, fork: BlockRef): Promise<boolean> {
  return db.transaction(async (tx) => {
    const current = await readCursor(tx, key, true);
    if (!current || current.number !== expected.number || current.hash !== expected.hash) return false;
    await tx.delete(chainEvents).where(and(eq(chainEvents.chainId, key.chainId), gt(chainEvents.blockNumber, fork.number)));
    await tx.delete(chainBlocks).where(and(eq(chainBlocks.chainId, key.chainId), gt(chainBlocks.number, fork.number)));
    await tx
      .update(chainCursors)
      .set({ blockNumber: fork.number, blockHash: fork.hash, updatedAt: sql`now()` })
      .where(and(eq(chainCursors.chainId, key.chainId), gt(chainCursors.blockNumber, fork.number)));
    return true;
  });
}

// What the dashboards read: only rows the indexer wrote from events.

/** A Datanet's owner and metadata hash as of its latest registration or update; null if never registered. */
export async function indexedDatanet(db: Db, chainId: number, datanetId: string) {
  const [row] = await db
    .select({ owner: chainDatanetRegistrations.owner, metadataHash: chainDatanetRegistrations.metadataHash, blockNumber: chainDatanetRegistrations.blockNumber, txHash: chainDatanetRegistrations.txHash })
    .from(chainDatanetRegistrations)
    .where(and(eq(chainDatanetRegistrations.chainId, chainId), eq(chainDatanetRegistrations.datanetId, datanetId)))
    .orderBy(desc(chainDatanetRegistrations.blockNumber), desc(chainDatanetRegistrations.logIndex))
    .limit(1);
  return row ?? null;
}

export async function indexedVersionCommits(db: Db, chainId: number, datanetId: string) {
  return db
    .select({
      version: chainVersionCommits.version,
      recordsRoot: chainVersionCommits.recordsRoot,
      manifestHash: chainVersionCommits.manifestHash,
      recordCount: chainVersionCommits.recordCount,
      contributorCount: chainVersionCommits.contributorCount,
      blockNumber: chainVersionCommits.blockNumber,
      txHash: chainVersionCommits.txHash,
    })
    .from(chainVersionCommits)
    .where(and(eq(chainVersionCommits.chainId, chainId), eq(chainVersionCommits.datanetId, datanetId)))
    .orderBy(asc(chainVersionCommits.version));
}

export async function indexedModel(db: Db, chainId: number, modelId: string) {
  const [row] = await db
    .select({
      owner: chainModelRegistrations.owner,
      adapterHash: chainModelRegistrations.adapterHash,
      baseModel: chainModelRegistrations.baseModel,
      datanetVersions: chainModelRegistrations.datanetVersions,
      blockNumber: chainModelRegistrations.blockNumber,
      txHash: chainModelRegistrations.txHash,
    })
    .from(chainModelRegistrations)
    .where(and(eq(chainModelRegistrations.chainId, chainId), eq(chainModelRegistrations.modelId, modelId)))
    .orderBy(asc(chainModelRegistrations.blockNumber))
    .limit(1);
  return row ?? null;
}

/** A model's epochs with what was funded and claimed so far, summed from their events (decimal strings). */
export async function indexedEpochs(db: Db, chainId: number, modelId: string) {
  return indexedEpochsOf(db, chainId, [modelId]);
}

/** The epochs of any of the models (a model and its versions), with what was funded and claimed so far, summed from their events (decimal strings). */
export async function indexedEpochsOf(db: Db, chainId: number, chainModelIds: string[]) {
  if (chainModelIds.length === 0) return [];
  const funded = db
    .select({ modelId: chainEpochFundings.modelId, epoch: chainEpochFundings.epoch, amount: sql<string>`sum(${chainEpochFundings.amount})`.as("funded") })
    .from(chainEpochFundings)
    .where(and(eq(chainEpochFundings.chainId, chainId), inArray(chainEpochFundings.modelId, chainModelIds)))
    .groupBy(chainEpochFundings.modelId, chainEpochFundings.epoch)
    .as("funded");
  const claimed = db
    .select({ modelId: chainRewardClaims.modelId, epoch: chainRewardClaims.epoch, amount: sql<string>`sum(${chainRewardClaims.amount})`.as("claimed"), claims: sql<number>`count(*)::int`.as("claims") })
    .from(chainRewardClaims)
    .where(and(eq(chainRewardClaims.chainId, chainId), inArray(chainRewardClaims.modelId, chainModelIds)))
    .groupBy(chainRewardClaims.modelId, chainRewardClaims.epoch)
    .as("claimed");
  return db
    .select({
      modelId: chainEpochs.modelId,
      epoch: chainEpochs.epoch,
      root: chainEpochs.root,
      token: chainEpochs.token,
      total: chainEpochs.total,
      funded: sql<string>`coalesce(${funded.amount}, 0)::text`,
      claimed: sql<string>`coalesce(${claimed.amount}, 0)::text`,
      claims: sql<number>`coalesce(${claimed.claims}, 0)`,
      blockNumber: chainEpochs.blockNumber,
      txHash: chainEpochs.txHash,
    })
    .from(chainEpochs)
    .leftJoin(funded, and(eq(funded.modelId, chainEpochs.modelId), eq(funded.epoch, chainEpochs.epoch)))
    .leftJoin(claimed, and(eq(claimed.modelId, chainEpochs.modelId), eq(claimed.epoch, chainEpochs.epoch)))
    .where(and(eq(chainEpochs.chainId, chainId), inArray(chainEpochs.modelId, chainModelIds)))
    .orderBy(asc(chainEpochs.epoch), asc(chainEpochs.modelId));
}

/** A contributor's claims, newest first, with the transaction that paid each. */
export async function indexedClaims(db: Db, chainId: number, contributor: string) {
  return db
    .select({
      modelId: chainRewardClaims.modelId,
      epoch: chainRewardClaims.epoch,
      token: chainRewardClaims.token,
      amount: chainRewardClaims.amount,
      blockNumber: chainRewardClaims.blockNumber,
      txHash: chainRewardClaims.txHash,
    })
    .from(chainRewardClaims)
    .where(and(eq(chainRewardClaims.chainId, chainId), eq(chainRewardClaims.contributor, contributor)))
    .orderBy(desc(chainRewardClaims.blockNumber), desc(chainRewardClaims.logIndex));
}

/** Model registrations the indexer holds for any of the ids (a model and its versions). */
export async function indexedModelsOf(db: Db, chainId: number, chainModelIds: string[]) {
  if (chainModelIds.length === 0) return [];
  return db
    .select({ modelId: chainModelRegistrations.modelId, owner: chainModelRegistrations.owner, blockNumber: chainModelRegistrations.blockNumber, txHash: chainModelRegistrations.txHash })
    .from(chainModelRegistrations)
    .where(and(eq(chainModelRegistrations.chainId, chainId), inArray(chainModelRegistrations.modelId, chainModelIds)))
    .orderBy(asc(chainModelRegistrations.blockNumber));
}

/** The claim a transaction made, once the indexer has it. */
export async function indexedClaimByTx(db: Db, chainId: number, txHash: string) {
  const [row] = await db
    .select({ modelId: chainRewardClaims.modelId, epoch: chainRewardClaims.epoch, contributor: chainRewardClaims.contributor, amount: chainRewardClaims.amount, blockNumber: chainRewardClaims.blockNumber })
    .from(chainRewardClaims)
    .where(and(eq(chainRewardClaims.chainId, chainId), eq(chainRewardClaims.txHash, txHash.toLowerCase())));
  return row ?? null;
}
