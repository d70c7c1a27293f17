// Publishing a Datanet version commits it on chain through the outbox: the Datanet's registration
// once, each version after it, with the records' Merkle root and the manifest's hash that anyone can
// check against the files; the chain router's status and per-version commits, a revert in words,
// and a node that does not answer.
import { createHash } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { eq } from "drizzle-orm";
import { getAddress, type Hex } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tributaryRegistryAbi } from "@/server/chain/abi";
import { datanetRegistrationKey, versionCommitKey } from "@/server/chain/datanet-commits";
import { uuidToBytes32 } from "@/server/chain/calls";
import { findOutboxRow } from "@/server/db/queries/chain";
import { chainOutbox, datanetVersions, users } from "@/server/db/schema";
import { merkleProof } from "@/server/datanets/merkle";
import { devAccount } from "../helpers/chain";
import { committer, deployedTestChain, owner, driveUntil, stopSenders, testSender, type CommitterChain } from "../helpers/chain-outbox";
import { callerFor, testBlobs } from "../helpers/context";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { addMemberVia, createOrgWithOwner, type TestOrg } from "../helpers/orgs";

let database: TestDatabase;
let chain: Awaited<ReturnType<typeof deployedTestChain>>;
let config: CommitterChain;
let org: TestOrg;

const records = [chatRecord("Which bird sings at dusk?", "The nightjar."), chatRecord("Which bird drums?", "The woodpecker."), chatRecord("Which bird hovers?", "The kestrel.")];
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const row = (k: string) => findOutboxRow(database.db, config.chainId, k);

async function read<F extends "datanets" | "versions" | "verifyRecord">(functionName: F, args: readonly unknown[]) {
  return chain.publicClient.readContract({ address: config.addresses.registry, abi: tributaryRegistryAbi, functionName, args } as never) as Promise<readonly unknown[] | boolean>;
}

async function openRows() {
  const rows = await database.db.select({ status: chainOutbox.status }).from(chainOutbox).where(eq(chainOutbox.chainId, config.chainId));
  return rows.filter((r) => r.status === "pending" || r.status === "sent").length;
}

beforeAll(async () => {
  database = await createTestDatabase();
  chain = await deployedTestChain();
  config = chain.config;
  org = await createOrgWithOwner(database.db, "Nightjar Chain");
}, 60_000);

afterEach(stopSenders);

afterAll(async () => {
  await chain?.anvil.stop();
  await database?.close();
});

describe("publishing a version", () => {
  it("queues the Datanet's registration once and each version's commit; the sender commits them as the files say", async () => {
    const { datanet, version } = await publishedDatanet(database.db, org, "Dusk Birds", records, "chat", { context: { chain: config } });
    const owner = callerFor(database.db, org.owner.userId, { chain: config });
    const registration = await row(datanetRegistrationKey(datanet.id));
    expect(registration).toMatchObject({ status: "pending", call: { contract: "registry", functionName: "registerDatanet" } });
    expect(await row(versionCommitKey(version.id))).toMatchObject({ status: "pending", dependsOn: [registration!.id], call: { functionName: "commitVersion" } });
    const v2 = await owner.datanets.publishVersion({ orgSlug: org.slug, datanetSlug: datanet.slug });
    expect(await database.db.select({ id: chainOutbox.id }).from(chainOutbox).where(eq(chainOutbox.idempotencyKey, datanetRegistrationKey(datanet.id)))).toHaveLength(1);

    const viewer = callerFor(database.db, (await addMemberVia(database.db, org, "viewer")).userId, { chain: config });
    expect(await viewer.chain.datanetCommits({ orgSlug: org.slug, datanetSlug: datanet.slug })).toMatchObject([
      { version: 2, status: "pending", txHash: null },
      { version: 1, status: "pending", txHash: null },
    ]);

    await driveUntil(testSender(database.db, config), async () => (await openRows()) === 0);
    const commits = await viewer.chain.datanetCommits({ orgSlug: org.slug, datanetSlug: datanet.slug });
    expect(commits.map((c) => [c.version, c.status, c.lastError])).toEqual([[2, "confirmed", null], [1, "confirmed", null]]);
    expect(commits[0]!.txHash).toMatch(/^0x[0-9a-f]{64}$/);

    const datanetId = uuidToBytes32(datanet.id);
    const [stored] = await database.db.select({ manifestBlobKey: datanetVersions.manifestBlobKey, merkleRoot: datanetVersions.merkleRoot }).from(datanetVersions).where(eq(datanetVersions.id, version.id));
    const manifestBytes = await buffer(await testBlobs.get(stored!.manifestBlobKey));
    const manifest = JSON.parse(manifestBytes.toString()) as { datanet: object; records: { contentHash: string }[] };
    // No wallet on the publisher's account: the committer holds the Datanet for them.
    expect(await read("datanets", [datanetId])).toEqual([committer.account.address, `0x${sha256(JSON.stringify(manifest.datanet))}`, v2.number]);
    expect(await read("versions", [datanetId, 1])).toEqual([stored!.merkleRoot, `0x${sha256(manifestBytes)}`, 3n, 1n]);
    const hashes = manifest.records.map((r) => r.contentHash);
    expect(await read("verifyRecord", [datanetId, 1, `0x${hashes[0]}`, merkleProof(hashes, hashes[0]!)])).toBe(true);

    const events = { address: config.addresses.registry, abi: tributaryRegistryAbi, args: { datanetId }, fromBlock: 0n } as const;
    expect(await chain.publicClient.getContractEvents({ ...events, eventName: "DatanetRegistered" })).toHaveLength(1);
    const committed = await chain.publicClient.getContractEvents({ ...events, eventName: "VersionCommitted" });
    expect(committed.map((e) => [e.args.version, e.transactionHash])).toEqual([
      [1, (await row(versionCommitKey(version.id)))!.txHash],
      [2, commits[0]!.txHash],
    ]);
    expect(await viewer.chain.status()).toMatchObject({ configured: true, reachable: true, pending: 0, failed: 0, signer: committer.account.address, chainId: config.chainId });
  });

  it("the publisher's linked wallet owns the Datanet on chain", async () => {
    const walletOrg = await createOrgWithOwner(database.db, "Wallet Birds");
    const wallet = devAccount(9).account.address;
    await database.db.update(users).set({ walletAddress: wallet.toLowerCase() }).where(eq(users.id, walletOrg.owner.userId));
    const { datanet } = await publishedDatanet(database.db, walletOrg, "Owned Birds", records, "chat", { context: { chain: config } });
    await driveUntil(testSender(database.db, config), async () => (await openRows()) === 0);
    const [owner] = (await read("datanets", [uuidToBytes32(datanet.id)])) as readonly unknown[];
    expect(getAddress(owner as Hex)).toBe(wallet);
  });

  it("without a chain, or without a committer key, queues nothing and shows no commits", async () => {
    const { datanet, version } = await publishedDatanet(database.db, org, "Offline Birds", records, "chat", { context: { chain: null } });
    const noKey = { ...config, committerKey: null };
    await callerFor(database.db, org.owner.userId, { chain: noKey }).datanets.publishVersion({ orgSlug: org.slug, datanetSlug: datanet.slug });
    expect(await row(datanetRegistrationKey(datanet.id))).toBeNull();
    expect(await row(versionCommitKey(version.id))).toBeNull();
    expect(await callerFor(database.db, org.owner.userId, { chain: config }).chain.datanetCommits({ orgSlug: org.slug, datanetSlug: datanet.slug })).toEqual([]);
    expect(await callerFor(database.db, org.owner.userId, { chain: null }).chain.status()).toEqual({ configured: false });
  });

  it("a commit the contract refuses shows the reason in words on the version, and is retried once the role is granted", async () => {
    const { datanet } = await publishedDatanet(database.db, org, "Refused Birds", records, "chat", { context: { chain: config } });
    const stranger = devAccount(8);
    const strangerSender = testSender(database.db, { ...config, committerKey: stranger.key });
    await driveUntil(strangerSender, async () => (await openRows()) === 0);
    const [commit] = await callerFor(database.db, org.owner.userId, { chain: config }).chain.datanetCommits({ orgSlug: org.slug, datanetSlug: datanet.slug });
    expect(commit).toMatchObject({ version: 1, status: "failed", txHash: null });
    expect(commit!.lastError).toBe(
      `it waits on the Datanet's registration, which failed: the contract reverted: the signing account ${stranger.account.address} is not a committer of this contract: its owner must call grantCommitter(${stranger.account.address}), or set CHAIN_COMMITTER_KEY to a committer's key (found while estimating gas; nothing was sent)`,
    );
    const admin = callerFor(database.db, org.owner.userId, { chain: config });
    expect(await admin.chain.status()).toMatchObject({ pending: 0, failed: 2 });

    await chain.walletClient.writeContract({ account: owner.account, address: config.addresses.registry, abi: tributaryRegistryAbi, functionName: "grantCommitter", args: [stranger.account.address] });
    expect(await admin.chain.retryVersionCommit({ orgSlug: org.slug, datanetSlug: datanet.slug, version: 1 })).toEqual({ status: "pending" });
    expect(await admin.chain.status()).toMatchObject({ pending: 2, failed: 0 });
    await driveUntil(strangerSender, async () => (await openRows()) === 0);
    expect(await admin.chain.datanetCommits({ orgSlug: org.slug, datanetSlug: datanet.slug })).toMatchObject([{ version: 1, status: "confirmed", lastError: null }]);
    await expectTRPCError(admin.chain.retryVersionCommit({ orgSlug: org.slug, datanetSlug: datanet.slug, version: 1 }), "BAD_REQUEST", /is confirmed, not failed/);
    await expectTRPCError(admin.chain.retryVersionCommit({ orgSlug: org.slug, datanetSlug: datanet.slug, version: 9 }), "NOT_FOUND", /has no commit to retry/);
  });
});

describe("a node that does not answer", () => {
  it("the status says the chain is unreachable and how many commits wait; publishing still works", async () => {
    const down: CommitterChain = { ...config, chainId: 4242, rpcUrl: "http://127.0.0.1:9" };
    const { datanet } = await publishedDatanet(database.db, org, "Unreachable Birds", records, "chat", { context: { chain: down } });
    const status = await callerFor(database.db, org.owner.userId, { chain: down }).chain.status();
    expect(status).toMatchObject({ configured: true, chainId: 4242, reachable: false, pending: 2 });
    expect(status.configured && status.unreachableReason).toMatch(/^the chain's RPC endpoint does not answer/);
    expect(await callerFor(database.db, org.owner.userId, { chain: down }).chain.datanetCommits({ orgSlug: org.slug, datanetSlug: datanet.slug })).toMatchObject([{ version: 1, status: "pending" }]);
  });
});
