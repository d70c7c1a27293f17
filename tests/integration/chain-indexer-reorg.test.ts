// Reorgs on a real anvil node: index a chain, go back to an earlier block (evm_snapshot /
// evm_revert) and mine a different chain from there; the indexed tables must converge to the
// canonical chain — the same rows as indexing it from scratch into an empty database — whether
// the new chain is longer or shorter than the one it replaced.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hex } from "viem";
import { deployTributary } from "@/server/chain/deploy";
import { indexOnce, type IndexerConfig } from "@/server/chain/indexer";
import { indexedDatanet, indexedVersionCommits } from "@/server/db/queries/chain-index";
import { anvilRpc, CHAIN_ID, devAccount, startTestChain } from "../helpers/chain";
import { indexedTables, interceptingClient, randomId, staleHeaders, tributaryCalls } from "../helpers/chain-calls";
import { createTestDatabase, type TestDatabase } from "../helpers/db";

type TestChain = Awaited<ReturnType<typeof startTestChain>>;
let chain: TestChain;
let database: TestDatabase;
let config: IndexerConfig;
let calls: ReturnType<typeof tributaryCalls>;

const committer = devAccount(1).account;
const alice = devAccount(3).account;
const bob = devAccount(4).account;

beforeAll(async () => {
  database = await createTestDatabase();
  chain = await startTestChain();
  const deployment = await deployTributary({ rpcUrl: chain.anvil.url, chainId: CHAIN_ID, deployer: devAccount(0).account, committer: committer.address });
  config = { chainId: CHAIN_ID, contracts: deployment, startBlock: deployment.deployedAtBlock, confirmations: 1, keepBlocks: 16 };
  calls = tributaryCalls(chain, deployment, committer);
}, 60_000);

afterAll(async () => {
  await chain?.anvil.stop();
  await database?.close();
});

const mine = (blocks: number) => anvilRpc(chain.anvil.url, "anvil_mine", [`0x${blocks.toString(16)}`]);

/** What indexing the node's current chain from scratch gives: the rows a converged database must hold. */
async function fromScratch() {
  const fresh = await createTestDatabase();
  try {
    await indexOnce(fresh.db, chain.publicClient, config);
    return await indexedTables(fresh.db, CHAIN_ID);
  } finally {
    await fresh.close();
  }
}

describe("reorgs", () => {
  it("a longer different chain replaces the indexed one: its events in, the orphaned ones and their projections out", async () => {
    const db = database.db;
    const datanetId = randomId();
    await calls.registerDatanet(datanetId, alice.address);
    await indexOnce(db, chain.publicClient, config);
    const snapshot = await anvilRpc<Hex>(chain.anvil.url, "evm_snapshot");

    // Chain A: version 1 with root A, a Datanet only A has, an owner change, spread over several blocks.
    const rootA = randomId();
    const onlyA = randomId();
    const a = [await calls.commitVersion(datanetId, 1, rootA), await calls.registerDatanet(onlyA, alice.address)];
    await mine(3);
    a.push(await calls.updateDatanet(datanetId, bob.address));
    const passA = await indexOnce(db, chain.publicClient, config);
    expect(passA.reorgs).toEqual([]);
    expect(await indexedVersionCommits(db, CHAIN_ID, datanetId)).toMatchObject([{ version: 1, recordsRoot: rootA }]);
    const headA = passA.cursor.number;

    // Chain B from the snapshot: the same version number with another root, another Datanet, more blocks than A.
    await anvilRpc(chain.anvil.url, "evm_revert", [snapshot]);
    const rootB = randomId();
    const onlyB = randomId();
    const b = [await calls.registerDatanet(onlyB, bob.address), await calls.commitVersion(datanetId, 1, rootB, 42n, 5n)];
    await mine(8);
    expect(await chain.publicClient.getBlockNumber({ cacheTime: 0 })).toBeGreaterThan(headA);

    const passB = await indexOnce(db, chain.publicClient, config);
    expect(passB.reorgs).toHaveLength(1);
    expect(passB.reorgs[0]!.to).toBeLessThan(a[0]!.blockNumber);
    const tables = await indexedTables(db, CHAIN_ID);
    const txs = new Set(tables.events.map((e) => e.txHash));
    for (const receipt of a) expect(txs.has(receipt.transactionHash)).toBe(false);
    for (const receipt of b) expect(txs.has(receipt.transactionHash)).toBe(true);
    expect(await indexedVersionCommits(db, CHAIN_ID, datanetId)).toMatchObject([{ version: 1, recordsRoot: rootB, recordCount: "42", contributorCount: "5" }]);
    expect(await indexedDatanet(db, CHAIN_ID, datanetId)).toMatchObject({ owner: alice.address });
    expect(await indexedDatanet(db, CHAIN_ID, onlyA)).toBeNull();
    expect(await indexedDatanet(db, CHAIN_ID, onlyB)).toMatchObject({ owner: bob.address });
    expect(tables).toEqual(await fromScratch());
    expect(await staleHeaders(db, chain, CHAIN_ID)).toEqual([]);
  });

  it("a shorter different chain replaces the indexed one too (found while already caught up)", async () => {
    const db = database.db;
    await indexOnce(db, chain.publicClient, config);
    const snapshot = await anvilRpc<Hex>(chain.anvil.url, "evm_snapshot");
    const onlyA = randomId();
    await mine(2);
    await calls.registerDatanet(onlyA, alice.address);
    await mine(4);
    await indexOnce(db, chain.publicClient, config);
    expect(await indexedDatanet(db, CHAIN_ID, onlyA)).not.toBeNull();

    await anvilRpc(chain.anvil.url, "evm_revert", [snapshot]);
    const onlyB = randomId();
    await calls.registerDatanet(onlyB, bob.address);
    const pass = await indexOnce(db, chain.publicClient, config);
    expect(pass.reorgs).toHaveLength(1);
    expect(pass.cursor.number).toBe(await chain.publicClient.getBlockNumber({ cacheTime: 0 }));
    expect(await indexedDatanet(db, CHAIN_ID, onlyA)).toBeNull();
    expect(await indexedDatanet(db, CHAIN_ID, onlyB)).not.toBeNull();
    expect(await indexedTables(db, CHAIN_ID)).toEqual(await fromScratch());
    expect(await staleHeaders(db, chain, CHAIN_ID)).toEqual([]);
  });

  it("a reorg deeper than the kept headers starts over from the start block, and still converges", async () => {
    const db = database.db;
    await indexOnce(db, chain.publicClient, config);
    const snapshot = await anvilRpc<Hex>(chain.anvil.url, "evm_snapshot");
    const onlyA = randomId();
    await calls.registerDatanet(onlyA, alice.address);
    // Far more blocks than keepBlocks (16), indexed in several ranges so older headers are pruned.
    for (let i = 0; i < 5; i++) {
      await mine(10);
      await indexOnce(db, chain.publicClient, { ...config, maxBlockRange: 8 });
    }
    await anvilRpc(chain.anvil.url, "evm_revert", [snapshot]);
    const onlyB = randomId();
    await calls.registerDatanet(onlyB, bob.address);
    await mine(60);

    const pass = await indexOnce(db, chain.publicClient, config);
    expect(pass.reorgs).toHaveLength(1);
    expect(await indexedDatanet(db, CHAIN_ID, onlyA)).toBeNull();
    expect(await indexedDatanet(db, CHAIN_ID, onlyB)).not.toBeNull();
    expect(await indexedTables(db, CHAIN_ID)).toEqual(await fromScratch());
  });

  it("a reorg while a range's logs are read: the range is not written, and the next pass converges", async () => {
    const db = database.db;
    await indexOnce(db, chain.publicClient, config);
    const snapshot = await anvilRpc<Hex>(chain.anvil.url, "evm_snapshot");
    const onlyA = randomId();
    await calls.registerDatanet(onlyA, alice.address);
    await mine(2);

    // The node answers getLogs from chain A, then switches to chain B before the indexer looks at the range's last block again.
    let switched = false;
    const switching = interceptingClient(chain, {
      async after(method) {
        if (method !== "eth_getLogs" || switched) return;
        switched = true;
        await anvilRpc(chain.anvil.url, "evm_revert", [snapshot]);
        await mine(5);
      },
    });
    const during = await indexOnce(db, switching, config);
    expect(switched).toBe(true);
    expect(during.events).toBe(0);
    expect(await indexedDatanet(db, CHAIN_ID, onlyA)).toBeNull();

    const after = await indexOnce(db, chain.publicClient, config);
    expect(after.caughtUp).toBe(true);
    expect(await indexedDatanet(db, CHAIN_ID, onlyA)).toBeNull();
    expect(await indexedTables(db, CHAIN_ID)).toEqual(await fromScratch());
    expect(await staleHeaders(db, chain, CHAIN_ID)).toEqual([]);
  });
});
