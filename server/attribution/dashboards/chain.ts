// The chain side of the attribution dashboards: which on-chain model ids can name a model (its own
// id or one of its versions', as bytes32), the indexer's progress against the node for the
// "indexer behind" line, and the block explorer the pages link to.
import "server-only";
import { createPublicClient, http, type Hex } from "viem";
import type { ChainConfig } from "@/server/chain/config";
import { uuidToBytes32 } from "@/server/chain/calls";
import { chainIndexerStatus } from "@/server/chain/indexer-loop";
import { cursorKey } from "@/server/chain/indexer";
import type { Db } from "@/server/db/connect";
import { readCursor } from "@/server/db/queries/chain-index";
import { env } from "@/server/env";

/**
 * The ids a model's registrations and epochs may carry on chain: the model's own and each
 * version's. Which one the commits use is the chain writer's choice; the dashboards accept both.
 */
export function chainModelIds(modelId: string, fineTuneIds: readonly string[]): Hex[] {
  return [uuidToBytes32(modelId), ...fineTuneIds.map(uuidToBytes32)];
}

/** A block's number and a transaction's hash, as the indexer stored them, for the pages. */
export const onChain = (row: { blockNumber: bigint; txHash: string }) => ({ blockNumber: row.blockNumber.toString(), txHash: row.txHash });

/** How long to wait for the node's head before showing the page without it. */
const HEAD_TIMEOUT_MS = 2_000;

/** A gap larger than this many blocks past the confirmation depth is worth saying. */
const LAG_WORTH_SAYING = 2;

/**
 * The chain as the attribution pages show it: its id, the rewards contract claims go to, the
 * explorer, and the indexer's progress (the cursor every indexer shares in the database; the last
 * error only when this process runs the indexer).
 */
export async function attributionChainInfo(db: Db, chain: ChainConfig | null) {
  if (!chain) return { configured: false as const, explorerUrl: env.CHAIN_EXPLORER_URL ?? null };
  const [cursor, head] = await Promise.all([
    readCursor(db, cursorKey({ chainId: chain.chainId, contracts: chain.addresses })),
    createPublicClient({ transport: http(chain.rpcUrl, { retryCount: 0, timeout: HEAD_TIMEOUT_MS }) })
      .getBlockNumber()
      .catch(() => null),
  ]);
  const loop = chainIndexerStatus();
  const indexedBlock = cursor?.hash ? cursor.number : null;
  const lag = head !== null && indexedBlock !== null ? Number(head - indexedBlock) : null;
  return {
    configured: true as const,
    explorerUrl: env.CHAIN_EXPLORER_URL ?? null,
    chainId: chain.chainId,
    rewardsContract: chain.addresses.rewards,
    indexer: {
      indexedBlock: indexedBlock?.toString() ?? null,
      head: head?.toString() ?? null,
      lag,
      behind: lag !== null && lag > chain.confirmations - 1 + LAG_WORTH_SAYING,
      lastError: loop && loop.chainId === chain.chainId ? loop.lastError : null,
    },
  };
}
