// The chain outbox and its sender on a real anvil node: one transaction per idempotency key,
// receipts at the configured depth, dependencies, reverts in words (at estimation and on chain),
// a node that stops answering and comes back with its state (nothing lost, nothing twice), a
// process that dies between signing and broadcasting, and nonces lost or taken.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { http, numberToHex, toHex, type Hex } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tributaryRegistryAbi } from "@/server/chain/abi";
import { contractCall } from "@/server/chain/calls";
import { enqueue } from "@/server/chain/outbox";
import { chainStatus } from "@/server/chain/status";
import { findOutboxRow } from "@/server/db/queries/chain";
import { chainOutbox } from "@/server/db/schema";
import { anvilRpc, devAccount, startTestChain } from "../helpers/chain";
import { committer, deployedTestChain, owner, driveUntil, losing, stopSenders, testSender, type CommitterChain } from "../helpers/chain-outbox";
import { createTestDatabase, type TestDatabase } from "../helpers/db";

let database: TestDatabase;
let chain: Awaited<ReturnType<typeof deployedTestChain>>;
let config: CommitterChain;
const stateFile = path.join(mkdtempSync(path.join(tmpdir(), "tributary-anvil-")), "state.json");

const id = (): Hex => toHex(randomBytes(32));
const key = () => `test:${randomBytes(6).toString("hex")}`;
const registration = (datanetId: Hex = id()) => contractCall("registry", "registerDatanet", [datanetId, devAccount(3).account.address, id()]);
const row = (k: string) => findOutboxRow(database.db, config.chainId, k);
const statusOf = async (k: string) => (await row(k))?.status;
const allSettled = (keys: string[]) => async () => (await Promise.all(keys.map(statusOf))).every((s) => s === "confirmed" || s === "failed");

async function registrations(datanetId: Hex) {
  return chain.publicClient.getContractEvents({ address: config.addresses.registry, abi: tributaryRegistryAbi, eventName: "DatanetRegistered", args: { datanetId }, fromBlock: 0n });
}

async function restartNode() {
  await chain.anvil.stop();
  const restarted = await startTestChain({ port: chain.port, args: ["--state", stateFile] });
  chain = { ...chain, ...restarted, config };
}

beforeAll(async () => {
  database = await createTestDatabase();
  chain = await deployedTestChain({ args: ["--state", stateFile] });
  config = chain.config;
}, 60_000);

afterEach(stopSenders);

afterAll(async () => {
  await chain?.anvil.stop();
  await database?.close();
});

describe("enqueue", () => {
  it("the same key is the same row and one transaction, even with another call or inside a transaction", async () => {
    const k = key();
    const datanetId = id();
    const first = await enqueue(database.db, config, k, registration(datanetId));
    const again = await database.db.transaction((tx) => enqueue(tx, config, k, registration()));
    expect(again.id).toBe(first.id);
    expect(again.data).toBe(first.data);
    expect(await database.db.select({ id: chainOutbox.id }).from(chainOutbox).where(eq(chainOutbox.idempotencyKey, k))).toHaveLength(1);

    const sender = testSender(database.db, config);
    await driveUntil(sender, async () => (await statusOf(k)) === "confirmed");
    await enqueue(database.db, config, k, registration(datanetId));
    await sender.pass();
    const confirmed = await row(k);
    expect(confirmed).toMatchObject({ status: "confirmed", fromAddress: committer.account.address, lastError: null });
    const events = await registrations(datanetId);
    expect(events).toHaveLength(1);
    expect(events[0]!.transactionHash).toBe(confirmed!.txHash);
  });

  it("a row rolled back with its producer's transaction is never sent", async () => {
    const k = key();
    await expect(
      database.db.transaction(async (tx) => {
        await enqueue(tx, config, k, registration());
        throw new Error("the producer failed");
      }),
    ).rejects.toThrow("the producer failed");
    expect(await row(k)).toBeNull();
  });
});

describe("sending", () => {
  it("one sender per signer: a second process waits for the first one's lease", async () => {
    const first = testSender(database.db, config);
    const second = testSender(database.db, config);
    expect((await first.pass()).leased).toBe(true);
    expect((await second.pass()).leased).toBe(false);
    await first.stop();
    expect((await second.pass()).leased).toBe(true);
    await second.stop();
  });

  it("a dependent call waits until its dependency is confirmed, and counts confirmations at the configured depth", async () => {
    const datanetId = id();
    const [register, commit] = [key(), key()];
    const first = await enqueue(database.db, config, register, registration(datanetId));
    const root = id();
    await enqueue(database.db, config, commit, contractCall("registry", "commitVersion", [datanetId, 1, root, id(), 3n, 1n]), { dependsOn: first.id });
    const sender = testSender(database.db, { ...config, confirmations: 3 });
    const mined = (k: string) => async () => (await row(k))?.blockNumber != null;

    await driveUntil(sender, mined(register));
    await sender.pass();
    expect(await statusOf(register)).toBe("sent"); // in a block, 1 of 3 confirmations
    expect(await statusOf(commit)).toBe("pending");
    await anvilRpc(chain.anvil.url, "anvil_mine", [numberToHex(2)]);
    await driveUntil(sender, mined(commit));
    expect(await statusOf(register)).toBe("confirmed");
    await sender.pass();
    expect(await statusOf(commit)).toBe("sent");
    await anvilRpc(chain.anvil.url, "anvil_mine", [numberToHex(2)]);
    await driveUntil(sender, async () => (await statusOf(commit)) === "confirmed");
    const stored = await chain.publicClient.readContract({ address: config.addresses.registry, abi: tributaryRegistryAbi, functionName: "versions", args: [datanetId, 1] });
    expect(stored[0]).toBe(root);
  });

  it("a call with several dependencies waits for all of them, and fails when one of them fails", async () => {
    const [a, b] = [id(), id()];
    const [registerA, registerB, both, broken, behindBroken] = [key(), key(), key(), key(), key()];
    const first = await enqueue(database.db, config, registerA, registration(a));
    const second = await enqueue(database.db, config, registerB, registration(b));
    const waiting = await enqueue(database.db, config, both, contractCall("registry", "commitVersion", [b, 1, id(), id(), 1n, 1n]), { dependsOn: [second.id, first.id, first.id] });
    expect(waiting.dependsOn).toEqual([first.id, second.id].sort());
    // Registering A twice reverts (DatanetExists): what waits on it and on B fails, saying why.
    const duplicate = await enqueue(database.db, config, broken, registration(a), { dependsOn: first.id });
    await enqueue(database.db, config, behindBroken, contractCall("registry", "commitVersion", [a, 1, id(), id(), 1n, 1n]), { dependsOn: [second.id, duplicate.id] });

    const sender = testSender(database.db, config);
    await sender.pass();
    expect(await statusOf(both)).toBe("pending");
    await driveUntil(sender, allSettled([registerA, registerB, both, broken, behindBroken]));
    expect([await statusOf(registerA), await statusOf(registerB), await statusOf(both), await statusOf(broken)]).toEqual(["confirmed", "confirmed", "confirmed", "failed"]);
    expect(await row(behindBroken)).toMatchObject({ status: "failed", lastError: expect.stringMatching(new RegExp(`^it waits on ${broken}, which failed: the contract reverted: Datanet 0x[0-9a-f]+…[0-9a-f]{4} is already registered on chain`)) });
  });

  it("a revert at estimation fails the row with the reason in words, sends nothing, and fails what depends on it", async () => {
    const stranger = devAccount(7);
    const [register, commit] = [key(), key()];
    const datanetId = id();
    const first = await enqueue(database.db, config, register, registration(datanetId));
    await enqueue(database.db, config, commit, contractCall("registry", "commitVersion", [datanetId, 1, id(), id(), 1n, 1n]), { dependsOn: first.id });
    const sender = testSender(database.db, { ...config, committerKey: stranger.key });
    await driveUntil(sender, allSettled([register, commit]));

    expect(await row(register)).toMatchObject({ status: "failed", txHash: null });
    expect((await row(register))!.lastError).toBe(
      `the contract reverted: the signing account ${stranger.account.address} is not a committer of this contract: its owner must call grantCommitter(${stranger.account.address}), or set CHAIN_COMMITTER_KEY to a committer's key (found while estimating gas; nothing was sent)`,
    );
    expect((await row(commit))!.lastError).toMatch(new RegExp(`^it waits on ${register}, which failed: the contract reverted: the signing account`));
    expect(await chain.publicClient.getTransactionCount({ address: stranger.account.address })).toBe(0);
  });

  it("a call that reverts on chain (its role revoked before it was mined) fails with the replayed reason and its block", async () => {
    const k = key();
    const datanetId = id();
    await enqueue(database.db, config, k, registration(datanetId));
    const sender = testSender(database.db, config);
    const role = (functionName: "grantCommitter" | "revokeCommitter", tip: bigint) =>
      chain.walletClient.writeContract({ account: owner.account, address: config.addresses.registry, abi: tributaryRegistryAbi, functionName, args: [committer.account.address], maxPriorityFeePerGas: tip, maxFeePerGas: 10n ** 11n });
    await anvilRpc(chain.anvil.url, "evm_setAutomine", [false]);
    try {
      await driveUntil(sender, async () => (await statusOf(k)) === "sent");
      await role("revokeCommitter", 10n ** 10n); // a higher tip: mined first in the block
      await anvilRpc(chain.anvil.url, "evm_mine");
    } finally {
      await anvilRpc(chain.anvil.url, "evm_setAutomine", [true]);
    }
    await driveUntil(sender, allSettled([k]));
    const failed = (await row(k))!;
    await role("grantCommitter", 1n);
    expect(failed).toMatchObject({ status: "failed", blockNumber: expect.any(Number) });
    expect(failed.lastError).toBe(
      `the contract reverted: the signing account ${committer.account.address} is not a committer of this contract: its owner must call grantCommitter(${committer.account.address}), or set CHAIN_COMMITTER_KEY to a committer's key (transaction ${failed.txHash}, block ${failed.blockNumber})`,
    );
    expect((await chain.publicClient.getTransactionReceipt({ hash: failed.txHash as Hex })).status).toBe("reverted");
    expect(await registrations(datanetId)).toHaveLength(0);
  });

  it("a process that dies between storing and broadcasting a transaction: the next one broadcasts the same bytes", async () => {
    const k = key();
    const datanetId = id();
    await enqueue(database.db, config, k, registration(datanetId));
    const dying = testSender(database.db, config, { transport: losing(http(chain.anvil.url, { retryCount: 0 }), "eth_sendRawTransaction"), leaseSeconds: 1 });
    await dying.pass().catch(() => undefined); // however the dying pass ended, the bytes never reached the node
    const signed = (await row(k))!;
    expect(signed).toMatchObject({ status: "sent", nonce: expect.any(Number), txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    await expect(chain.publicClient.getTransaction({ hash: signed.txHash as Hex })).rejects.toThrow();

    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the dead process's lease runs out
    const restarted = testSender(database.db, config);
    await driveUntil(restarted, async () => (await statusOf(k)) === "confirmed");
    expect((await row(k))!.txHash).toBe(signed.txHash);
    const events = await registrations(datanetId);
    expect(events.map((e) => e.transactionHash)).toEqual([signed.txHash]);
  });
});

describe("a node that stops answering", () => {
  it("keeps every commit with attempts and backoff, says the chain is unreachable, and finishes each once when the node is back", async () => {
    const sender = testSender(database.db, config, { backoffBaseMs: 500, maxBackoffMs: 4_000 });
    const ids = [id(), id(), id(), id()];
    const keys = [key(), key(), key(), key()];
    await enqueue(database.db, config, keys[0]!, registration(ids[0]));
    await driveUntil(sender, async () => (await statusOf(keys[0]!)) === "confirmed");

    // Two calls are broadcast but not mined when the node goes down; its pool is lost with it.
    await anvilRpc(chain.anvil.url, "evm_setAutomine", [false]);
    for (const i of [1, 2]) await enqueue(database.db, config, keys[i]!, registration(ids[i]));
    await driveUntil(sender, async () => (await statusOf(keys[2]!)) === "sent");
    const broadcast = await Promise.all([keys[1]!, keys[2]!].map(async (k) => (await row(k))!.txHash));
    await chain.anvil.stop();
    await enqueue(database.db, config, keys[3]!, registration(ids[3]));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the sent rows' next receipt check is due

    const down = await sender.pass();
    expect(down.unreachable).toMatch(/^the chain's RPC endpoint does not answer/);
    const waiting = await Promise.all(keys.slice(1).map(async (k) => (await row(k))!));
    for (const r of waiting) {
      expect(r.status).not.toBe("confirmed");
      expect(r.attempts).toBe(1);
      expect(r.lastError).toMatch(/^chain unreachable: the chain's RPC endpoint does not answer/);
      expect(r.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() - 10);
    }
    expect((await sender.pass()).due).toBe(0); // backing off: nothing is tried before nextAttemptAt
    await new Promise((resolve) => setTimeout(resolve, 550));
    await sender.pass();
    const again = (await row(keys[3]!))!;
    expect(again.attempts).toBe(2);
    expect(again.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(500); // 1 s: doubled

    const status = await chainStatus(database.db, config);
    expect(status).toMatchObject({ configured: true, reachable: false, pending: 3 });
    expect(status.configured && status.unreachableReason).toMatch(/does not answer/);
    expect(status.configured && status.lastProblem?.message).toMatch(/^chain unreachable/);

    await restartNode();
    expect(await chain.publicClient.getTransaction({ hash: broadcast[0] as Hex }).catch(() => null)).toBeNull();
    await driveUntil(sender, allSettled(keys));
    for (const [i, k] of keys.entries()) {
      const done = (await row(k))!;
      expect(done.status).toBe("confirmed");
      const events = await registrations(ids[i]!);
      expect(events.map((e) => e.transactionHash)).toEqual([done.txHash]);
    }
    expect(await Promise.all([keys[1]!, keys[2]!].map(async (k) => (await row(k))!.txHash))).toEqual(broadcast);
    expect(await chainStatus(database.db, config)).toMatchObject({ reachable: true, pending: 0 });
  });

  it("a nonce taken by another transaction while ours was lost: the call is signed again and committed once", async () => {
    const sender = testSender(database.db, config);
    const k = key();
    const datanetId = id();
    await anvilRpc(chain.anvil.url, "evm_setAutomine", [false]);
    await enqueue(database.db, config, k, registration(datanetId));
    await driveUntil(sender, async () => (await statusOf(k)) === "sent");
    const lost = (await row(k))!;
    await restartNode();
    // Someone else with the committer's key takes the nonce first.
    await chain.walletClient.sendTransaction({ account: committer.account, to: devAccount(3).account.address, value: 1n, nonce: lost.nonce! });
    await driveUntil(sender, async () => (await statusOf(k)) === "confirmed");
    const done = (await row(k))!;
    expect(done.txHash).not.toBe(lost.txHash);
    expect(done.nonce).toBe(lost.nonce! + 1);
    expect((await registrations(datanetId)).map((e) => e.transactionHash)).toEqual([done.txHash]);
  });

  it("a node that lost transactions before ours (a nonce gap): ours are signed again from its nonce", async () => {
    const sender = testSender(database.db, config);
    const keys = [key(), key()];
    const ids = [id(), id()];
    await anvilRpc(chain.anvil.url, "evm_setAutomine", [false]);
    for (const [i, k] of keys.entries()) await enqueue(database.db, config, k, registration(ids[i]));
    await driveUntil(sender, async () => (await statusOf(keys[1]!)) === "sent");
    const nonces = await Promise.all(keys.map(async (k) => (await row(k))!.nonce!));
    await restartNode();
    await anvilRpc(chain.anvil.url, "anvil_setNonce", [committer.account.address, numberToHex(nonces[0]! - 1)]);
    await driveUntil(sender, allSettled(keys));
    for (const [i, k] of keys.entries()) {
      const done = (await row(k))!;
      expect(done).toMatchObject({ status: "confirmed", nonce: nonces[i]! - 1 });
      expect(await registrations(ids[i]!)).toHaveLength(1);
    }
  });
});
