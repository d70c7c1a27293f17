// A local anvil holding ≥ N events of the real Tributary contracts, for bench/indexer.ts: the
// platform's workload in proportion — per Datanet a registration, 20 version commits, an update,
// a model and its epoch (8 committers), one funding, and a claim by each of 50 contributors with
// its Merkle proof. Transactions are sent unsigned to anvil's dev accounts in JSON-RPC batches
// with explicit nonces and gas, automine off, and mined with anvil_mine into full blocks.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { encodeFunctionData, getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { z } from "zod";
import { ANVIL_MNEMONIC, freePort, startAnvil, type Anvil } from "@/scripts/anvil";
import { tributaryRegistryAbi, tributaryRewardsAbi } from "@/server/chain/abi";
import { deployTributary, type Deployment } from "@/server/chain/deploy";
import { rewardTree } from "@/server/chain/rewards-merkle";

export const BENCH_CHAIN_ID = 31337;
const COMMITTERS = 8;
const CONTRIBUTORS = 50;
const VERSIONS = 20;
/** Events one Datanet unit emits: register, versions, update, model, epoch, funding, claims. */
export const EVENTS_PER_UNIT = 1 + VERSIONS + 1 + 1 + 1 + 1 + CONTRIBUTORS;
const BLOCK_GAS_LIMIT = 100_000_000n;
const NATIVE: Address = "0x0000000000000000000000000000000000000000";

interface Tx {
  from: Address;
  to: Address;
  data: Hex;
  gas: bigint;
  value?: bigint;
}

export interface BenchChain {
  anvil: Anvil;
  deployment: Deployment;
  /** Events the contracts emitted, deployment included: what a full backfill must index. */
  events: number;
  head: bigint;
  /** Seconds to make the chain, or to load it when `loaded`. */
  seconds: number;
  loaded: boolean;
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const [result] = await rpcBatch<T>(url, [{ method, params }]);
  return result!;
}

async function rpcBatch<T>(url: string, calls: { method: string; params: unknown[] }[]): Promise<T[]> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(calls.map((call, id) => ({ jsonrpc: "2.0", id, ...call }))),
  });
  const answers = (await response.json()) as { id: number; result?: T; error?: { message: string } }[];
  return answers
    .sort((a, b) => a.id - b.id)
    .map((answer) => {
      if (answer.error) throw new Error(`${calls[answer.id]?.method}: ${answer.error.message}`);
      return answer.result as T;
    });
}

/**
 * Sends txs with consecutive nonces per sender, a block's worth at a time, and mines each block
 * before sending more: anvil drops what does not fit in the block it mines.
 */
async function sendAndMine(url: string, txs: Tx[], nonces: Map<Address, number>) {
  const perBlock = Number(BLOCK_GAS_LIMIT / 250_000n);
  for (let start = 0; start < txs.length; start += perBlock) {
    const block = txs.slice(start, start + perBlock).map((tx) => {
      const nonce = nonces.get(tx.from) ?? 0;
      nonces.set(tx.from, nonce + 1);
      return { method: "eth_sendTransaction", params: [{ ...tx, gas: toHex(tx.gas), value: toHex(tx.value ?? 0n), nonce: toHex(nonce) }] };
    });
    await rpcBatch(url, block);
    await rpc(url, "anvil_mine", ["0x1"]);
    const status = await rpc<{ pending: Hex; queued: Hex }>(url, "txpool_status");
    if (BigInt(status.pending) !== 0n || BigInt(status.queued) !== 0n) throw new Error(`anvil left transactions unmined (${BigInt(status.pending)} pending, ${BigInt(status.queued)} queued)`);
  }
}

const id = (kind: string, n: number): Hex => keccak256(toHex(`${kind}:${n}`));

const anvilArgs = ["--accounts", String(10 + CONTRIBUTORS), "--gas-limit", String(BLOCK_GAS_LIMIT)];
const metaSchema = z.object({ minEvents: z.number(), events: z.number(), head: z.string(), registry: z.string(), rewards: z.string(), deployedAtBlock: z.string() });

/**
 * The bench chain. With `stateFile`, a chain saved there by an earlier run for the same minEvents
 * is loaded instead of made again (anvil's --load-state keeps blocks, receipts and logs).
 */
export async function benchChain(minEvents: number, log: (line: string) => void, stateFile?: string): Promise<BenchChain> {
  const started = performance.now();
  const metaFile = stateFile && `${stateFile}.meta.json`;
  const saved = metaFile && existsSync(metaFile) ? metaSchema.parse(JSON.parse(readFileSync(metaFile, "utf8"))) : null;
  if (stateFile && saved?.minEvents === minEvents) {
    const anvil = await startAnvil({ port: await freePort(), chainId: BENCH_CHAIN_ID, args: [...anvilArgs, "--load-state", stateFile] });
    const deployment = { registry: getAddress(saved.registry), rewards: getAddress(saved.rewards), deployedAtBlock: BigInt(saved.deployedAtBlock) };
    log(`  loaded from ${stateFile}`);
    return { anvil, deployment, events: saved.events, head: BigInt(saved.head), seconds: (performance.now() - started) / 1000, loaded: true };
  }
  const made = await makeChain(minEvents, log);
  if (stateFile && metaFile) {
    const dump = Buffer.from((await rpc<Hex>(made.anvil.url, "anvil_dumpState")).slice(2), "hex");
    writeFileSync(stateFile, dump[0] === 0x1f ? gunzipSync(dump) : dump);
    const { registry, rewards, deployedAtBlock } = made.deployment;
    writeFileSync(metaFile, JSON.stringify({ minEvents, events: made.events, head: String(made.head), registry, rewards, deployedAtBlock: String(deployedAtBlock) }));
  }
  return { ...made, seconds: (performance.now() - started) / 1000, loaded: false };
}

async function makeChain(minEvents: number, log: (line: string) => void): Promise<Omit<BenchChain, "seconds" | "loaded">> {
  const anvil = await startAnvil({ port: await freePort(), chainId: BENCH_CHAIN_ID, args: anvilArgs });
  const url = anvil.url;
  const owner = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 });
  const deployment = await deployTributary({ rpcUrl: url, chainId: BENCH_CHAIN_ID, deployer: owner });
  await rpc(url, "evm_setAutomine", [false]);
  const accounts = await rpc<Address[]>(url, "eth_accounts");
  const committers = accounts.slice(1, 1 + COMMITTERS);
  const contributors = accounts.slice(10, 10 + CONTRIBUTORS);
  const funder = accounts[0]!;
  const nonces = new Map<Address, number>([[funder, Number(await rpc<Hex>(url, "eth_getTransactionCount", [funder, "latest"]))]]);
  const registry = (functionName: string, args: readonly unknown[]) => encodeFunctionData({ abi: tributaryRegistryAbi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);
  const rewards = (functionName: string, args: readonly unknown[]) => encodeFunctionData({ abi: tributaryRewardsAbi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);

  // Deployment: OwnershipTransferred + CommitterGranted per contract; then 2 grants per extra committer.
  let events = 4;
  const grants = committers.flatMap((account) => [deployment.registry, deployment.rewards].map((to) => ({ from: funder, to, data: registry("grantCommitter", [account]), gas: 100_000n })));
  await sendAndMine(url, grants, nonces);
  events += grants.length;

  const units = Math.ceil(minEvents / EVENTS_PER_UNIT);
  const tree = rewardTree(contributors.map((contributor, i) => ({ contributor, amount: BigInt(1_000 + i) })));
  const commits: Tx[] = [];
  for (let u = 0; u < units; u++) {
    const from = committers[u % COMMITTERS]!;
    const datanetId = id("datanet", u);
    const modelId = id("model", u);
    commits.push({ from, to: deployment.registry, data: registry("registerDatanet", [datanetId, contributors[u % CONTRIBUTORS], id("meta", u)]), gas: 150_000n });
    for (let v = 1; v <= VERSIONS; v++) {
      commits.push({ from, to: deployment.registry, data: registry("commitVersion", [datanetId, v, id(`root-${v}`, u), id(`manifest-${v}`, u), BigInt(100 * v), BigInt(v)]), gas: 200_000n });
    }
    commits.push({ from, to: deployment.registry, data: registry("updateDatanet", [datanetId, contributors[(u + 1) % CONTRIBUTORS], id("meta2", u)]), gas: 100_000n });
    commits.push({ from, to: deployment.registry, data: registry("registerModel", [modelId, from, id("adapter", u), "bench-model", [{ datanetId, version: VERSIONS }]]), gas: 300_000n });
    commits.push({ from, to: deployment.rewards, data: rewards("commitEpoch", [modelId, 1n, tree.root, NATIVE, tree.total]), gas: 200_000n });
  }
  log(`  committing ${units} Datanets with ${VERSIONS} versions, a model and an epoch each (${commits.length} transactions)`);
  await sendAndMine(url, commits, nonces);

  const funding = Array.from({ length: units }, (_, u) => ({ from: funder, to: deployment.rewards, data: rewards("fund", [id("model", u), 1n, tree.total]), gas: 150_000n, value: tree.total }));
  await sendAndMine(url, funding, nonces);

  const claims: Tx[] = [];
  for (let u = 0; u < units; u++) {
    for (const claim of tree.claims) {
      claims.push({ from: claim.contributor, to: deployment.rewards, data: rewards("claim", [id("model", u), 1n, claim.amount, claim.proof]), gas: 200_000n });
    }
  }
  log(`  ${claims.length} claims with proofs`);
  await sendAndMine(url, claims, nonces);
  events += units * EVENTS_PER_UNIT;

  const head = BigInt(await rpc<Hex>(url, "eth_blockNumber"));
  return { anvil, deployment, events, head };
}
