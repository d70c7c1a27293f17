// Drives the deployed Tributary contracts on a test chain as the platform would (committer calls,
// funding, claims), each call mined and its receipt returned; and reads back every table the
// indexer writes, in a stable order, so two databases can be compared row for row.
import { randomBytes } from "node:crypto";
import { asc, sql } from "drizzle-orm";
import { createPublicClient, custom, hexToBigInt, http, toHex, type Address, type EIP1193RequestFn, type Hex, type PublicClient, type TransactionReceipt } from "viem";
import { tributaryRegistryAbi, tributaryRewardsAbi } from "@/server/chain/abi";
import type { Deployment } from "@/server/chain/deploy";
import { rewardTree } from "@/server/chain/rewards-merkle";
import type { Db } from "@/server/db/connect";
import { chainBlocks, indexedLogTableNames, indexedLogTables, type IndexedLogTableName } from "@/server/db/schema";
import type { devAccount, startTestChain } from "./chain";

type TestChain = Awaited<ReturnType<typeof startTestChain>>;
type DevAccount = ReturnType<typeof devAccount>["account"];

export const randomId = (): Hex => toHex(randomBytes(32));
export const NATIVE: Address = "0x0000000000000000000000000000000000000000";

export function tributaryCalls(chain: TestChain, deployment: Pick<Deployment, "registry" | "rewards">, committer: DevAccount) {
  const mined = async (hash: Hex): Promise<TransactionReceipt> => {
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };
  const asCommitter = { account: committer, address: deployment.registry, abi: tributaryRegistryAbi } as const;

  return {
    registerDatanet: (datanetId: Hex, owner: Address, metadataHash: Hex = randomId()) =>
      chain.walletClient.writeContract({ ...asCommitter, functionName: "registerDatanet", args: [datanetId, owner, metadataHash] }).then(mined),
    updateDatanet: (datanetId: Hex, owner: Address, metadataHash: Hex = randomId()) =>
      chain.walletClient.writeContract({ ...asCommitter, functionName: "updateDatanet", args: [datanetId, owner, metadataHash] }).then(mined),
    commitVersion: (datanetId: Hex, version: number, recordsRoot: Hex = randomId(), recordCount = 10n, contributorCount = 2n) =>
      chain.walletClient.writeContract({ ...asCommitter, functionName: "commitVersion", args: [datanetId, version, recordsRoot, randomId(), recordCount, contributorCount] }).then(mined),
    registerModel: (modelId: Hex, owner: Address, versions: { datanetId: Hex; version: number }[]) =>
      chain.walletClient.writeContract({ ...asCommitter, functionName: "registerModel", args: [modelId, owner, randomId(), "tiny-llama", versions] }).then(mined),
    /** Commits an epoch over `shares` (native currency) and returns the tree, for claims. */
    async commitEpoch(modelId: Hex, epoch: bigint, shares: { contributor: Address; amount: bigint }[]) {
      const tree = rewardTree(shares);
      const receipt = await chain.walletClient
        .writeContract({ account: committer, address: deployment.rewards, abi: tributaryRewardsAbi, functionName: "commitEpoch", args: [modelId, epoch, tree.root, NATIVE, tree.total] })
        .then(mined);
      return { tree, receipt };
    },
    fund: (funder: DevAccount, modelId: Hex, epoch: bigint, amount: bigint) =>
      chain.walletClient.writeContract({ account: funder, address: deployment.rewards, abi: tributaryRewardsAbi, functionName: "fund", args: [modelId, epoch, amount], value: amount }).then(mined),
    claim: (contributor: DevAccount, modelId: Hex, epoch: bigint, amount: bigint, proof: Hex[]) =>
      chain.walletClient.writeContract({ account: contributor, address: deployment.rewards, abi: tributaryRewardsAbi, functionName: "claim", args: [modelId, epoch, amount, proof] }).then(mined),
  };
}

/**
 * A client on the test chain whose requests pass through hooks first and after: to record getLogs
 * ranges, refuse wide ones as providers do, or change the chain while a request is in flight.
 */
export function interceptingClient(chain: TestChain, hooks: { before?(method: string, params: unknown): unknown; after?(method: string, params: unknown): unknown }): PublicClient {
  const node = http(chain.anvil.url, { retryCount: 0 })({ chain: chain.chain, retryCount: 0 });
  const request = (async (args: { method: string; params?: unknown }) => {
    await hooks.before?.(args.method, args.params);
    const result = await node.request(args as Parameters<typeof node.request>[0]);
    await hooks.after?.(args.method, args.params);
    return result;
  }) as EIP1193RequestFn;
  return createPublicClient({ chain: chain.chain, transport: custom({ request }, { retryCount: 0 }) });
}

/** The block range of an eth_getLogs request's params. */
export function getLogsRange(params: unknown) {
  const [filter] = params as [{ fromBlock: Hex; toBlock: Hex }];
  return { from: hexToBigInt(filter.fromBlock), to: hexToBigInt(filter.toBlock) };
}

/** The logs of `receipts` emitted by `addresses`: what the indexer must hold for them. */
export function logsOf(receipts: TransactionReceipt[], addresses: Address[]) {
  const wanted = new Set(addresses.map((a) => a.toLowerCase()));
  return receipts.flatMap((r) => r.logs.filter((log) => wanted.has(log.address.toLowerCase())).map((log) => ({ txHash: log.transactionHash, logIndex: log.logIndex })));
}

/** Every row the indexer wrote on a chain (headers aside), each table in log order, for comparing two databases. */
export async function indexedTables(db: Db, chainId: number): Promise<{ [Name in IndexedLogTableName]: (typeof indexedLogTables)[Name]["$inferSelect"][] }> {
  const of = sql`chain_id = ${chainId}`;
  const rows = [];
  for (const name of indexedLogTableNames) {
    const table = indexedLogTables[name];
    rows.push([name, await db.select().from(table).where(of).orderBy(asc(table.blockNumber), asc(table.logIndex))] as const);
  }
  return Object.fromEntries(rows) as Awaited<ReturnType<typeof indexedTables>>;
}

/** The stored headers that the node no longer has at their height: empty once reorgs are undone. */
export async function staleHeaders(db: Db, chain: TestChain, chainId: number) {
  const stored = await db.select().from(chainBlocks).where(sql`chain_id = ${chainId}`);
  const stale = [];
  for (const block of stored) {
    const node = await chain.publicClient.getBlock({ blockNumber: block.number }).catch(() => null);
    if (node?.hash !== block.hash) stale.push(block.number);
  }
  return stale;
}
