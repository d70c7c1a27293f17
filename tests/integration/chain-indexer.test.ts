// The chain indexer on a real anvil node, on PGlite and on Postgres: every event of the contracts
// indexed once (passes that overlap or repeat add nothing), typed projections that match the
// calls, the confirmation depth, ranges halved when the node refuses a wide one, a restart that
// resumes from the cursor, and the loop's status while the node is down.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http } from "viem";
import { deployTributary, type Deployment } from "@/server/chain/deploy";
import { contractAddresses } from "@/server/chain/indexer-decode";
import { ChainIndexer, chainIndexerStatus, startChainIndexer } from "@/server/chain/indexer-loop";
import { cursorKey, indexOnce, type IndexerConfig } from "@/server/chain/indexer";
import type { Db } from "@/server/db/connect";
import { indexedClaims, indexedDatanet, indexedEpochs, indexedModel, indexedVersionCommits, readCursor } from "@/server/db/queries/chain-index";
import { chainCursors, chainEvents } from "@/server/db/schema";
import { freePort } from "@/scripts/anvil";
import { anvilRpc, CHAIN_ID, devAccount, startTestChain } from "../helpers/chain";
import { getLogsRange, indexedTables, interceptingClient, logsOf, randomId, tributaryCalls } from "../helpers/chain-calls";
import { createTestDatabase, type TestDatabase } from "../helpers/db";

type TestChain = Awaited<ReturnType<typeof startTestChain>>;
let chain: TestChain;
let database: TestDatabase;
let db: Db;
let deployment: Deployment;
let config: IndexerConfig;

const owner = devAccount(0).account;
const committer = devAccount(1).account;
const alice = devAccount(3).account;
const bob = devAccount(4).account;
const funder = devAccount(6).account;

async function deployAndConfigure(): Promise<{ deployment: Deployment; config: IndexerConfig }> {
  const deployed = await deployTributary({ rpcUrl: chain.anvil.url, chainId: CHAIN_ID, deployer: owner, committer: committer.address });
  return { deployment: deployed, config: { chainId: CHAIN_ID, contracts: deployed, startBlock: deployed.deployedAtBlock, confirmations: 1 } };
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  chain = await startTestChain();
  ({ deployment, config } = await deployAndConfigure());
}, 60_000);

afterAll(async () => {
  await chain?.anvil.stop();
  await database?.close();
});

describe("indexOnce", () => {
  it("indexes every event once, with projections that match the calls, even when passes overlap or repeat", async () => {
    const calls = tributaryCalls(chain, deployment, committer);
    const datanetId = randomId();
    const root1 = randomId();
    const root2 = randomId();
    const modelId = randomId();
    const receipts = [
      await calls.registerDatanet(datanetId, alice.address),
      await calls.updateDatanet(datanetId, bob.address),
      await calls.commitVersion(datanetId, 1, root1, 7n, 3n),
      await calls.commitVersion(datanetId, 2, root2, 9n, 4n),
      await calls.registerModel(modelId, bob.address, [{ datanetId, version: 1 }, { datanetId, version: 2 }]),
    ];
    const { tree, receipt: epochReceipt } = await calls.commitEpoch(modelId, 1n, [
      { contributor: alice.address, amount: 300n },
      { contributor: bob.address, amount: 700n },
    ]);
    receipts.push(epochReceipt, await calls.fund(funder, modelId, 1n, 400n), await calls.fund(funder, modelId, 1n, 600n));
    const aliceClaim = tree.claims.find((c) => c.contributor === alice.address)!;
    receipts.push(await calls.claim(alice, modelId, 1n, aliceClaim.amount, aliceClaim.proof));
    const expected = logsOf(receipts, contractAddresses(deployment));

    // Two passes at once, then a third: each range is written by one of them only.
    const passes = await Promise.all([indexOnce(db, chain.publicClient, config), indexOnce(db, chain.publicClient, config)]);
    const third = await indexOnce(db, chain.publicClient, config);
    expect(third.events).toBe(0);
    expect(passes[0]!.events + passes[1]!.events).toBeGreaterThanOrEqual(expected.length);
    const events = await db.select({ txHash: chainEvents.txHash, logIndex: chainEvents.logIndex, eventName: chainEvents.eventName, args: chainEvents.args }).from(chainEvents);
    const ours = events.filter((e) => expected.some((x) => x.txHash === e.txHash && x.logIndex === e.logIndex));
    expect(ours).toHaveLength(expected.length);
    // Deployment events (OwnershipTransferred, CommitterGranted) are indexed too, from the start block on.
    expect(events.map((e) => e.eventName)).toEqual(expect.arrayContaining(["OwnershipTransferred", "CommitterGranted", "DatanetRegistered", "RewardClaimed"]));
    const fundedEvent = events.find((e) => e.eventName === "EpochFunded" && (e.args as { amount: string }).amount === "600");
    expect(fundedEvent?.args).toEqual({ modelId, epoch: "1", funder: funder.address, amount: "600", funded: "1000" });

    expect(await indexedDatanet(db, CHAIN_ID, datanetId)).toMatchObject({ owner: bob.address, txHash: receipts[1]!.transactionHash });
    expect(await indexedVersionCommits(db, CHAIN_ID, datanetId)).toMatchObject([
      { version: 1, recordsRoot: root1, recordCount: "7", contributorCount: "3" },
      { version: 2, recordsRoot: root2, recordCount: "9", contributorCount: "4" },
    ]);
    expect(await indexedModel(db, CHAIN_ID, modelId)).toMatchObject({ owner: bob.address, baseModel: "tiny-llama", datanetVersions: [{ datanetId, version: 1 }, { datanetId, version: 2 }] });
    expect(await indexedEpochs(db, CHAIN_ID, modelId)).toMatchObject([{ epoch: "1", root: tree.root, total: "1000", funded: "1000", claimed: "300", claims: 1 }]);
    expect(await indexedClaims(db, CHAIN_ID, alice.address)).toMatchObject([{ modelId, epoch: "1", amount: "300", txHash: receipts.at(-1)!.transactionHash }]);

    // Indexing everything again from the start block changes nothing.
    const before = await indexedTables(db, CHAIN_ID);
    await db.update(chainCursors).set({ blockNumber: config.startBlock - 1n, blockHash: null }).where(eq(chainCursors.chainId, CHAIN_ID));
    const again = await indexOnce(db, chain.publicClient, config);
    expect(again.events).toBe(before.events.length);
    expect(await indexedTables(db, CHAIN_ID)).toEqual(before);
  });

  it("indexes a block only once it has the configured confirmations", async () => {
    const deep = { ...config, confirmations: 3 };
    await indexOnce(db, chain.publicClient, deep);
    const datanetId = randomId();
    const receipt = await tributaryCalls(chain, deployment, committer).registerDatanet(datanetId, alice.address);
    const indexed = async () => (await indexedDatanet(db, CHAIN_ID, datanetId)) !== null;

    // One confirmation: not indexed (the cursor stays where the depth-1 passes left it, the block before).
    let pass = await indexOnce(db, chain.publicClient, deep);
    expect(pass.safeHead).toBe(receipt.blockNumber - 2n);
    expect(pass.cursor.number).toBe(receipt.blockNumber - 1n);
    expect(await indexed()).toBe(false);
    await anvilRpc(chain.anvil.url, "evm_mine");
    await indexOnce(db, chain.publicClient, deep);
    expect(await indexed()).toBe(false);
    await anvilRpc(chain.anvil.url, "evm_mine");
    pass = await indexOnce(db, chain.publicClient, deep);
    expect(pass.cursor.number).toBe(receipt.blockNumber);
    expect(await indexed()).toBe(true);
  });

  it("halves the block range when the node refuses a wide one, and still indexes every block", async () => {
    const fresh = await deployAndConfigure();
    const calls = tributaryCalls(chain, fresh.deployment, committer);
    const receipts = [];
    for (let i = 0; i < 6; i++) {
      receipts.push(await calls.registerDatanet(randomId(), alice.address));
      await anvilRpc(chain.anvil.url, "anvil_mine", ["0x2"]);
    }
    const served: { from: bigint; to: bigint }[] = [];
    let refused = 0;
    const limited = interceptingClient(chain, {
      before(method, params) {
        if (method !== "eth_getLogs") return;
        const range = getLogsRange(params);
        if (range.to - range.from + 1n > 4n) {
          refused++;
          throw Object.assign(new Error("query returned more than 10000 results"), { code: -32005 });
        }
        served.push(range);
      },
    });
    const pass = await indexOnce(db, limited, { ...fresh.config, maxBlockRange: 64 }, {});
    expect(refused).toBeGreaterThan(0);
    expect(served.every((r) => r.to - r.from + 1n <= 4n)).toBe(true);
    // Contiguous: each range starts right after the previous one.
    for (let i = 1; i < served.length; i++) expect(served[i]!.from).toBe(served[i - 1]!.to + 1n);
    expect(pass.caughtUp).toBe(true);
    const expected = logsOf(receipts, contractAddresses(fresh.deployment));
    const rows = await db.select({ txHash: chainEvents.txHash }).from(chainEvents).where(eq(chainEvents.address, fresh.deployment.registry));
    expect(rows.filter((r) => expected.some((x) => x.txHash === r.txHash))).toHaveLength(expected.length);
  });

  it("resumes from the stored cursor after a restart, not from the start block", async () => {
    await indexOnce(db, chain.publicClient, config);
    const cursor = await readCursor(db, cursorKey(config));
    const datanetId = randomId();
    await tributaryCalls(chain, deployment, committer).registerDatanet(datanetId, alice.address);

    // A new process: a new client and no state in memory, only the database.
    const ranges: { from: bigint; to: bigint }[] = [];
    const restarted = interceptingClient(chain, { before: (method, params) => method === "eth_getLogs" && ranges.push(getLogsRange(params)) });
    await indexOnce(db, restarted, config);
    expect(ranges[0]!.from).toBe(cursor!.number + 1n);
    expect(await indexedDatanet(db, CHAIN_ID, datanetId)).not.toBeNull();
  });
});

describe("ChainIndexer status", () => {
  it("says the node is unreachable with the error and counts failures, then recovers with the lag", async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const dead = createPublicClient({ chain: chain.chain, transport: http(deadUrl, { retryCount: 0, timeout: 2_000 }) });
    const down = new ChainIndexer({ db, client: dead, config });
    await down.passOnce();
    await down.passOnce();
    expect(down.status()).toMatchObject({ chainId: CHAIN_ID, consecutiveFailures: 2, lastIndexedBlock: null });
    expect(down.status().lastError).toMatch(/HTTP request failed|fetch failed/);

    const up = new ChainIndexer({ db, client: chain.publicClient, config });
    await up.passOnce();
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    expect(up.status()).toMatchObject({ lastError: null, consecutiveFailures: 0, lastIndexedBlock: head, head, lag: 0n });
  });

  it("the loop polls on its own and stops cleanly", async () => {
    const loop = new ChainIndexer({ db, client: chain.publicClient, config, pollMs: 50 });
    loop.start();
    const datanetId = randomId();
    await tributaryCalls(chain, deployment, committer).registerDatanet(datanetId, alice.address);
    await expect.poll(() => indexedDatanet(db, CHAIN_ID, datanetId), { timeout: 10_000 }).not.toBeNull();
    await loop.stop();
    expect(loop.status().running).toBe(false);
  });

  it("startChainIndexer runs one indexer per process on the configured chain, and its status is what the dashboards read", async () => {
    const settings = { rpcUrl: chain.anvil.url, chainId: CHAIN_ID, addresses: deployment, committerKey: null, confirmations: 1, startBlock: deployment.deployedAtBlock, source: "settings" as const };
    const indexer = startChainIndexer(db, settings)!;
    expect(startChainIndexer(db, settings)).toBe(indexer);
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    await expect.poll(() => chainIndexerStatus()?.lastIndexedBlock, { timeout: 10_000 }).toBe(head);
    expect(chainIndexerStatus()).toMatchObject({ chainId: CHAIN_ID, running: true, lastError: null });
    await indexer.stop();
  });
});
