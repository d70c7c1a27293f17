// CHAIN_START_BLOCK on a real anvil, on PGlite and Postgres: the indexer started on a chain from
// the settings backfills from its start block (the contracts' deployment block in production), so
// what happened before it is never read, and what happened after is indexed.
import { describe, expect, it } from "vitest";
import type { ChainConfig } from "@/server/chain/config";
import { deployTributary } from "@/server/chain/deploy";
import { chainIndexerStatus, startChainIndexer } from "@/server/chain/indexer-loop";
import { cursorKey } from "@/server/chain/indexer";
import { indexedDatanet, readCursor } from "@/server/db/queries/chain-index";
import { CHAIN_ID, devAccount, startTestChain } from "../helpers/chain";
import { randomId, tributaryCalls } from "../helpers/chain-calls";
import { createTestDatabase, type TestDatabase } from "../helpers/db";

describe("CHAIN_START_BLOCK", () => {
  it("the first backfill starts at the start block: earlier events are not read, later ones are", async () => {
    const database = await createTestDatabase();
    const chain = await startTestChain();
    try {
      await backfillFromStartBlock(database, chain);
    } finally {
      await chain.anvil.stop();
      await database.close();
    }
  });
});

/** Deploys, emits an event before the start block and one after, and runs the indexer from the start block. */
async function backfillFromStartBlock(database: TestDatabase, chain: Awaited<ReturnType<typeof startTestChain>>) {
  const committer = devAccount(1).account;
  const deployment = await deployTributary({ rpcUrl: chain.anvil.url, chainId: CHAIN_ID, deployer: devAccount(0).account, committer: committer.address });
  const calls = tributaryCalls(chain, deployment, committer);
  const before = randomId();
  const beforeReceipt = await calls.registerDatanet(before, devAccount(3).account.address);
  const startBlock = beforeReceipt.blockNumber + 1n;
  const after = randomId();
  const afterReceipt = await calls.registerDatanet(after, devAccount(4).account.address);
  expect(afterReceipt.blockNumber).toBeGreaterThanOrEqual(startBlock);

  const settings: ChainConfig = { rpcUrl: chain.anvil.url, chainId: CHAIN_ID, addresses: deployment, committerKey: null, confirmations: 1, startBlock, source: "settings" };
  const indexer = startChainIndexer(database.db, settings)!;
  try {
    await expect.poll(() => indexedDatanet(database.db, CHAIN_ID, after), { timeout: 10_000 }).not.toBeNull();
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    await expect.poll(() => chainIndexerStatus()?.lastIndexedBlock, { timeout: 10_000 }).toBe(head);
    expect(await indexedDatanet(database.db, CHAIN_ID, before)).toBeNull();
    expect(await readCursor(database.db, cursorKey({ chainId: CHAIN_ID, contracts: deployment }))).toMatchObject({ number: head });
  } finally {
    await indexer.stop();
  }
}
