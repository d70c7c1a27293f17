// For the chain outbox tests: a real anvil with the contracts deployed (owner = dev account 0,
// committer = dev account 1), its ChainConfig, a fast sender, and a loop that runs sender passes
// until a condition holds; and a test file's database, chain and org made around its tests.
import { eq, inArray } from "drizzle-orm";
import type { Hex, Transport } from "viem";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { ChainConfig } from "@/server/chain/config";
import { deployTributary } from "@/server/chain/deploy";
import { ChainSender, type SenderOptions } from "@/server/chain/sender";
import type { Db } from "@/server/db/connect";
import { chainOutbox, organizations } from "@/server/db/schema";
import { CHAIN_ID, devAccount, startTestChain } from "./chain";
import { createTestDatabase, type TestDatabase } from "./db";
import { createOrgWithOwner, type TestOrg } from "./orgs";

export const owner = devAccount(0);
export const committer = devAccount(1);

export type CommitterChain = ChainConfig & { committerKey: Hex };

export async function deployedTestChain(options: Parameters<typeof startTestChain>[0] = {}) {
  const chain = await startTestChain(options);
  const deployment = await deployTributary({ rpcUrl: chain.anvil.url, chainId: CHAIN_ID, deployer: owner.account, committer: committer.account.address });
  const config: CommitterChain = {
    rpcUrl: chain.anvil.url,
    chainId: CHAIN_ID,
    addresses: { registry: deployment.registry, rewards: deployment.rewards },
    committerKey: committer.key,
    confirmations: 1,
    source: "settings",
  };
  return { ...chain, config };
}

const senders = new Set<ChainSender>();

/** A sender with test-sized waits (20 ms polls, backoff from 50 ms up to 400 ms); stopSenders() ends it. */
export function testSender(db: Db, chain: CommitterChain, options: Partial<SenderOptions> = {}) {
  const sender = new ChainSender({ db, chain, pollMs: 20, backoffBaseMs: 50, maxBackoffMs: 400, ...options });
  senders.add(sender);
  return sender;
}

/** Stops every test sender, giving their leases up for the next test's. */
export async function stopSenders() {
  for (const sender of senders) await sender.stop();
  senders.clear();
}

/** Runs passes (and waits between them) until `done` answers true; fails after `timeoutMs`. */
export async function driveUntil(sender: ChainSender, done: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sender.pass();
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`the sender did not get there within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An HTTP transport whose requests for `method` fail as a process killed mid-way would leave them. */
export function losing(base: Transport, method: string): Transport {
  return (params) => {
    const transport = base(params);
    return {
      ...transport,
      async request(args, options) {
        if ((args as { method: string }).method === method) throw new Error(`test: the process died before ${method}`);
        return transport.request(args, options);
      },
    } as ReturnType<Transport>;
  };
}

/** How many outbox rows are still to be sent or confirmed. */
export async function openRows(db: Db) {
  return (await db.select({ id: chainOutbox.id }).from(chainOutbox).where(inArray(chainOutbox.status, ["pending", "sent"]))).length;
}

export interface ChainOrg {
  database: TestDatabase;
  db: Db;
  chain: Awaited<ReturnType<typeof deployedTestChain>>;
  /** The test chain with the committer funding each epoch it commits, as on the local dev chain. */
  config: CommitterChain;
  org: TestOrg;
  orgId: string;
}

/**
 * For a test file: a fresh database, an anvil with the contracts and an org named `orgName`, made
 * before its tests (fields filled then); senders stopped after each test, all closed after the file.
 */
export function chainOrgForTests(orgName: string): ChainOrg {
  const t = {} as ChainOrg;
  beforeAll(async () => {
    t.database = await createTestDatabase();
    t.db = t.database.db;
    t.chain = await deployedTestChain();
    t.config = { ...t.chain.config, fundEpochs: true };
    t.org = await createOrgWithOwner(t.db, orgName);
    t.orgId = (await t.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, t.org.slug)))[0]!.id;
  }, 60_000);
  afterEach(stopSenders);
  afterAll(async () => {
    await t.chain?.anvil.stop();
    await t.database?.close();
  });
  return t;
}
