// The chain indexer: reads the Tributary contracts' logs with getLogs in block ranges up to the
// confirmed head, decodes them, and writes events, projections and the cursor in one transaction
// per range. A range is written only if its parent (the cursor's block) is still the node's block
// at that height and its last block kept its hash while the logs were read. When the parent is
// gone (a reorg), the indexer walks back through the stored headers to the newest block the node
// still has, deletes everything above it and goes on from there. Safe to run in several processes
// at once: every write is a compare-and-set on the cursor, and rows are keyed by
// (chainId, txHash, logIndex) with ON CONFLICT DO NOTHING.
import { BaseError, BlockNotFoundError, ResponseBodyTooLargeError, type PublicClient } from "viem";
import {
  ensureCursor,
  rollBackTo,
  storedBlocksAtOrBelow,
  writeRange,
  type BlockHeader,
  type BlockRef,
  type CursorKey,
} from "@/server/db/queries/chain-index";
import type { Db } from "@/server/db/connect";
import { contractAddresses, logDecoder, type IndexedContracts, type MinedLog } from "./indexer-decode";

export interface IndexerConfig {
  chainId: number;
  contracts: IndexedContracts;
  /** First block that can hold the contracts' events: the registry's deployment block. */
  startBlock: bigint;
  /** CHAIN_CONFIRMATIONS: a block is indexed once this many blocks, itself included, are on the chain. */
  confirmations: number;
  /** Largest block range per getLogs; a range is halved when the node says it is too large. */
  maxBlockRange?: number;
  /** The next range is sized from the last one's density to hold about this many logs (providers cap answers near 10,000). */
  targetLogsPerRange?: number;
  /** Headers kept below the cursor, for the walk back after a reorg: the deepest reorg undone exactly. */
  keepBlocks?: number;
  /** Ranges per pass; the loop calls again at once while a pass stops short of the head. */
  maxRangesPerPass?: number;
}

/** What the indexer learns about the node as it goes (the range size that works); the loop keeps it between passes. */
export interface IndexerState {
  blockRange?: number;
}

export interface IndexPass {
  /** The cursor after the pass: every block up to it is indexed. */
  cursor: BlockRef;
  /** The node's latest block when the pass began. */
  head: bigint;
  /** The newest block with enough confirmations. */
  safeHead: bigint;
  events: number;
  ranges: number;
  /** Each reorg found: the cursor it was at and the block it went back to. */
  reorgs: { from: bigint; to: bigint }[];
  /** False when the pass stopped short of the safe head (maxRangesPerPass, or the chain moved under a range). */
  caughtUp: boolean;
  /** Milliseconds spent waiting for the node (what prefetching did not hide), decoding, and writing. */
  timings: { waitMs: number; decodeMs: number; writeMs: number };
}

/** The first range is small and grows (×2 per range, bounded by log density): a dense chain's first range must not be a huge answer. */
const DEFAULTS = { firstBlockRange: 10, maxBlockRange: 2_000, targetLogsPerRange: 10_000, keepBlocks: 256, maxRangesPerPass: 50 };

/** The cursor's key: one per chain and set of contracts. */
export function cursorKey(config: Pick<IndexerConfig, "chainId" | "contracts">): CursorKey {
  return { chainId: config.chainId, contracts: contractAddresses(config.contracts).map((a) => a.toLowerCase()).sort().join(",") };
}

/**
 * A provider's "range too large / too many results" refusal (Alchemy, Infura, QuickNode, geth,
 * Erigon wordings), or an answer larger than the HTTP transport accepts (viem's 10 MiB by
 * default). Told apart by wording, not by code: -32005 also means "rate limited", which wants a
 * pause, not a smaller range.
 */
export function isRangeLimitError(error: unknown): boolean {
  if (error instanceof BaseError && error.walk((e) => e instanceof ResponseBodyTooLargeError)) return true;
  return /too many (results|logs|blocks)|more than [\d,]+ (results|logs)|block range|range (is )?too (large|wide|big)|limited to a [\d,]+ (block )?range|response size (exceeded|too large)/i.test(errorText(error));
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message];
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause) parts.push(cause.message);
  return parts.join(" | ");
}

/** The node's header at a height; null when the node has no block there (its chain is shorter). */
async function headerAt(client: PublicClient, number: bigint): Promise<BlockHeader | null> {
  try {
    const block = await client.getBlock({ blockNumber: number });
    return { number, hash: block.hash, parentHash: block.parentHash };
  } catch (error) {
    if (error instanceof BlockNotFoundError) return null;
    throw error;
  }
}

/** The newest stored header the node still has (the fork point); the block before the start when none. */
async function findFork(db: Db, client: PublicClient, config: IndexerConfig, cursor: BlockRef): Promise<BlockRef> {
  const stored = await storedBlocksAtOrBelow(db, config.chainId, cursor.number, (config.keepBlocks ?? DEFAULTS.keepBlocks) + 64);
  const PARALLEL = 8;
  for (let i = 0; i < stored.length; i += PARALLEL) {
    const chunk = stored.slice(i, i + PARALLEL);
    const nodes = await Promise.all(chunk.map((block) => headerAt(client, block.number)));
    const match = chunk.find((block, j) => nodes[j]?.hash === block.hash);
    if (match) return match;
  }
  return { number: config.startBlock - 1n, hash: null };
}

type Fetched =
  | { kind: "logs"; to: { number: bigint; hash: string }; header: BlockHeader; logs: MinedLog[]; range: bigint }
  /** The parent's block is no longer the node's block at that height. */
  | { kind: "reorg" }
  /** Nothing to fetch: the parent is the safe head. */
  | { kind: "done" }
  /** The chain moved under the fetch (shorter, or the last block replaced): look again next pass. */
  | { kind: "unstable" }
  /** The node refused the range or its answer was too large. */
  | { kind: "too-wide"; range: bigint };

/**
 * The logs of the `range` blocks after `parent`, with proof that they are one chain extending it:
 * the parent's block is still the node's, and the last block has the same hash before and after
 * getLogs (so the logs are those of the chain ending in it).
 */
async function fetchRange(client: PublicClient, addresses: readonly `0x${string}`[], parent: BlockRef, range: bigint, safeHead: bigint): Promise<Fetched> {
  const from = parent.number + 1n;
  const to = from + range - 1n < safeHead ? from + range - 1n : safeHead;
  const [atParent, before] = await Promise.all([parent.hash ? headerAt(client, parent.number) : null, to >= from ? headerAt(client, to) : null]);
  if (parent.hash && atParent?.hash !== parent.hash) return { kind: "reorg" };
  if (to < from) return { kind: "done" };
  if (!before) return { kind: "unstable" }; // The node's chain got shorter since getBlockNumber.
  let logs: MinedLog[];
  try {
    logs = (await client.getLogs({ address: [...addresses], fromBlock: from, toBlock: to })) as MinedLog[];
  } catch (error) {
    if (range > 1n && isRangeLimitError(error)) return { kind: "too-wide", range };
    throw error;
  }
  const after = await headerAt(client, to);
  if (after?.hash !== before.hash) return { kind: "unstable" };
  return { kind: "logs", to: { number: to, hash: before.hash }, header: before, logs, range: to - from + 1n };
}

/**
 * One pass: from the cursor up to the confirmed head (or maxRangesPerPass ranges), undoing any
 * reorg found on the way. The next range is fetched while the current one is decoded and written
 * (its parent is the current range's last block, so the same checks hold).
 */
export async function indexOnce(db: Db, client: PublicClient, config: IndexerConfig, state: IndexerState = {}): Promise<IndexPass> {
  const key = cursorKey(config);
  const addresses = contractAddresses(config.contracts);
  const decode = logDecoder(config.chainId, config.contracts);
  const maxRange = config.maxBlockRange ?? DEFAULTS.maxBlockRange;
  const targetLogs = config.targetLogsPerRange ?? DEFAULTS.targetLogsPerRange;
  const keepBlocks = config.keepBlocks ?? DEFAULTS.keepBlocks;
  const maxRanges = config.maxRangesPerPass ?? DEFAULTS.maxRangesPerPass;
  const rangeSize = () => BigInt(Math.max(1, Math.min(state.blockRange ?? DEFAULTS.firstBlockRange, maxRange)));

  let cursor = await ensureCursor(db, key, config.startBlock);
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const safeHead = head - BigInt(Math.max(config.confirmations, 1) - 1);
  const pass: IndexPass = { cursor, head, safeHead, events: 0, ranges: 0, reorgs: [], caughtUp: false, timings: { waitMs: 0, decodeMs: 0, writeMs: 0 } };
  const since = (started: number) => performance.now() - started;
  let prefetched: Promise<Fetched> | null = null;
  const dropPrefetch = () => {
    prefetched?.catch(() => {}); // Its result (or error) no longer matters.
    prefetched = null;
  };

  try {
    for (let attempts = 0; pass.ranges < maxRanges && attempts < maxRanges * 4; attempts++) {
      const waiting = performance.now();
      const fetched = await (prefetched ?? fetchRange(client, addresses, cursor, rangeSize(), safeHead));
      pass.timings.waitMs += since(waiting);
      prefetched = null;
      if (fetched.kind === "done") {
        pass.caughtUp = true;
        break;
      }
      if (fetched.kind === "unstable") break;
      if (fetched.kind === "too-wide") {
        state.blockRange = Number(fetched.range / 2n);
        continue;
      }
      if (fetched.kind === "reorg") {
        const fork = await findFork(db, client, config, cursor);
        if (await rollBackTo(db, key, cursor, fork)) pass.reorgs.push({ from: cursor.number, to: fork.number });
        cursor = await ensureCursor(db, key, config.startBlock);
        continue;
      }

      const { logs, to, range } = fetched;
      // Next range: double, but no more blocks than this range's density says hold targetLogs.
      const byDensity = logs.length > 0 ? Math.floor((Number(range) * targetLogs) / logs.length) : maxRange;
      state.blockRange = Math.max(1, Math.min(maxRange, Number(range) * 2, byDensity));
      if (to.number < safeHead && pass.ranges + 1 < maxRanges) prefetched = fetchRange(client, addresses, to, rangeSize(), safeHead);

      const blocks = new Map<bigint, BlockHeader>();
      const oldestKept = to.number - BigInt(keepBlocks);
      for (const log of logs) {
        if (log.blockNumber >= oldestKept) blocks.set(log.blockNumber, { number: log.blockNumber, hash: log.blockHash, parentHash: null });
      }
      blocks.set(to.number, fetched.header);
      const decoding = performance.now();
      const batch = decode(logs);
      pass.timings.decodeMs += since(decoding);
      const writing = performance.now();
      const written = await writeRange(db, { key, expected: cursor, batch, blocks: [...blocks.values()], to, keepBlocks });
      pass.timings.writeMs += since(writing);
      if (!written) {
        // Another indexer moved the cursor: go on from where it is.
        dropPrefetch();
        cursor = await ensureCursor(db, key, config.startBlock);
        continue;
      }
      cursor = to;
      pass.ranges++;
      pass.events += logs.length;
    }
  } finally {
    dropPrefetch();
  }
  if (cursor.number >= safeHead) pass.caughtUp = true;
  pass.cursor = cursor;
  return pass;
}
