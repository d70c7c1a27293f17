// The attribution dashboards' reads on PGlite and Postgres, over rows made by the real code paths
// (tests/helpers/attribution-fixture.ts): a contributor's earnings, claimable rewards whose proofs
// the contract accepts, and the claim once indexed; a model's invocations, contributors and epoch
// commits; a Datanet's versions on chain and earnings; one inference's spans and commit.
import { getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tributaryRewardsAbi } from "@/server/chain/abi";
import { uuidToBytes32 } from "@/server/chain/calls";
import { rewardTree } from "@/server/chain/rewards-merkle";
import { describeClaimRevert } from "@/server/chain/revert-reasons";
import { EPOCH_SECONDS, epochOf } from "@/server/attribution/epochs";
import { normalizeText } from "@/server/attribution/normalize";
import type { Db } from "@/server/db/connect";
import { attributedModel, indexChain, PASSAGES, type AttributedModel } from "../helpers/attribution-fixture";
import { devAccount, revertOf } from "../helpers/chain";
import { tributaryCalls } from "../helpers/chain-calls";
import { committer, deployedTestChain, stopSenders } from "../helpers/chain-outbox";
import { callerFor, testBlobs } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { createOrgWithOwner, type TestOrg } from "../helpers/orgs";

let database: TestDatabase;
let db: Db;
let chain: Awaited<ReturnType<typeof deployedTestChain>>;
let org: TestOrg;
let seeded: AttributedModel;

/** The contributors' part of an answer's fee: its tokens at the default rate, under the default split (70 %). */
const contributorsPart = (tokens: number) => (BigInt(tokens) * 10n ** 12n * 7000n) / 10000n;
const as = (userId: string, withChain = true) => callerFor(db, userId, withChain ? { chain: chain.config } : {}).attributionDashboards;
const sum = (amounts: string[]) => amounts.reduce((t, a) => t + BigInt(a), 0n);

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  chain = await deployedTestChain();
  org = await createOrgWithOwner(db, "Harbour Guild");
  seeded = await attributedModel(db, testBlobs, org, chain);
  await stopSenders();
}, 120_000);

afterAll(async () => {
  await chain?.anvil.stop();
  await database?.close();
});

describe("a contributor's earnings", () => {
  it("sums what their records earned per epoch, model and Datanet, and which epochs the chain holds", async () => {
    const aliceOwed = seeded.leaves.find((l) => l.contributor === seeded.alice.wallet)!.amount;
    const mine = await as(seeded.alice.userId).myEarnings({ days: 30 });
    expect(mine.wallet).toBe(seeded.alice.wallet);
    // The browser labels epochs with the server's epoch length (here the default UTC day).
    expect(mine).toMatchObject({ days: 30, epochSeconds: EPOCH_SECONDS, currentEpoch: epochOf(new Date()), sinceEpoch: epochOf(new Date()) - 29 });
    expect(BigInt(mine.totals.earned)).toBe(aliceOwed);
    expect(mine.byEpoch).toEqual([{ epoch: seeded.epoch, amount: aliceOwed.toString(), inferences: 2, claimed: "0" }]);
    expect(mine.byModel).toEqual([{ modelId: seeded.model.id, name: seeded.model.name, slug: seeded.model.slug, orgSlug: org.slug, amount: aliceOwed.toString(), inferences: 2 }]);
    expect(mine.byDatanet).toEqual([{ datanetId: seeded.datanet.id, name: seeded.datanet.name, slug: seeded.datanet.slug, orgSlug: org.slug, amount: aliceOwed.toString() }]);
    expect(mine.epochs).toEqual([
      expect.objectContaining({ chainModelId: seeded.model.chainId, epoch: seeded.epoch, amount: aliceOwed.toString(), claim: null, commit: expect.objectContaining({ txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), blockNumber: expect.stringMatching(/^\d+$/) }) }),
    ]);
    expect(mine.totals.committed).toBe(aliceOwed.toString());

    // Bob is not in the model's org: his amounts show, the model's name does not.
    const bobs = await as(seeded.bob.userId).myEarnings({ days: 30 });
    expect(bobs.byModel).toEqual([expect.objectContaining({ modelId: seeded.model.id, name: null, slug: null })]);
    expect(bobs.epochs[0]!.model).toEqual({ name: null, slug: null, orgSlug: null, versionNumber: null });
    // Carol has no wallet: she earns by her account id, outside every reward tree.
    const carols = await as(seeded.carol.userId).myEarnings({ days: 30 });
    expect(BigInt(carols.totals.withoutWallet)).toBeGreaterThan(0n);
    expect(carols.totals.withoutWallet).toBe(carols.totals.earned);
    expect(carols.epochs).toEqual([]);
  });

  it("offers a proof the contract accepts, and shows the claim once the indexer has read it", async () => {
    // The epoch's tree as the fixture committed it (attribution.claimable's stored proofs have their own test).
    const mineLeaf = rewardTree(seeded.leaves).claims.find((c) => c.contributor === getAddress(seeded.alice.wallet))!;
    const reward = { model: seeded.model.chainId, epoch: String(seeded.epoch), amount: mineLeaf.amount.toString(), proof: mineLeaf.proof };
    const args = [reward.model, BigInt(reward.epoch), BigInt(reward.amount), reward.proof] as const;

    // From another wallet the proof fails, and the words say whose reward it is.
    const bob = devAccount(4).account;
    const wrong = await revertOf(chain.publicClient.simulateContract({ account: bob, address: chain.config.addresses.rewards, abi: tributaryRewardsAbi, functionName: "claim", args: args as never }));
    expect(wrong).toMatch(/^InvalidProof\(/);
    expect(describeClaimRevert("InvalidProof", [reward.model, reward.epoch, bob.address, reward.amount], { contributor: seeded.alice.wallet, sender: bob.address })).toMatchObject({ problem: "wrong wallet" });

    const receipt = await tributaryCalls(chain, chain.config.addresses, committer.account).claim(devAccount(3).account, ...(args as unknown as [`0x${string}`, bigint, bigint, `0x${string}`[]]));
    expect(await as(seeded.alice.userId).claimStatus({ txHash: receipt.transactionHash })).toBeNull();
    await indexChain(db, chain);
    expect(await as(seeded.alice.userId).claimStatus({ txHash: receipt.transactionHash })).toMatchObject({ epoch: seeded.epoch, contributor: seeded.alice.wallet, amount: reward.amount, blockNumber: receipt.blockNumber.toString() });

    const mine = await as(seeded.alice.userId).myEarnings({ days: 30 });
    expect(mine.claims).toEqual([expect.objectContaining({ chainModelId: seeded.model.chainId, epoch: seeded.epoch, amount: reward.amount, txHash: receipt.transactionHash })]);
    expect(mine.epochs[0]!.claim).toMatchObject({ amount: reward.amount, txHash: receipt.transactionHash });
    expect(mine.byEpoch[0]!.claimed).toBe(reward.amount);

    // Claiming twice reverts with AlreadyClaimed.
    expect(await revertOf(chain.publicClient.simulateContract({ account: devAccount(3).account, address: chain.config.addresses.rewards, abi: tributaryRewardsAbi, functionName: "claim", args: args as never }))).toMatch(/^AlreadyClaimed\(/);
  });

  it("shows no epochs without a chain", async () => {
    expect((await as(seeded.bob.userId, false).myEarnings({ days: 30 })).epochs).toEqual([]);
  });
});

describe("a model's attribution", () => {
  it("counts invocations per epoch, ranks contributors, and shows the epoch's commit from the indexer", async () => {
    const page = await as(org.owner.userId).model({ orgSlug: org.slug, modelSlug: seeded.model.slug, days: 30 });
    expect(page).toMatchObject({ days: 30, epochSeconds: EPOCH_SECONDS, currentEpoch: seeded.epoch });
    const fees = [60, 45, 15].map(contributorsPart);
    expect(page.invocations).toEqual([{ epoch: seeded.epoch, inferences: 3, spanMatched: 2, fee: sum(fees.map(String)).toString() }]);
    expect(page.topContributors.map((c) => c.label)).toEqual(["Alice Ferrywright", "Bob Quarry", "Carol Bellman"]);
    expect(sum(page.topContributors.map((c) => c.amount))).toBe(sum(fees.map(String)));
    expect(page.sharesOverTime.contributors).toHaveLength(3);
    expect(page.registrations).toEqual([expect.objectContaining({ versionNumber: null, txHash: expect.stringMatching(/^0x/) })]);
    expect(page.epochs).toEqual([
      expect.objectContaining({ epoch: seeded.epoch, inferences: 3, open: true, commits: [expect.objectContaining({ versionNumber: null, total: sum(seeded.leaves.map((l) => l.amount.toString())).toString(), funded: expect.any(String) })] }),
    ]);
    expect(page.recentInferences).toHaveLength(3);

    const others = await createOrgWithOwner(db, "Elsewhere");
    await expectTRPCError(as(others.owner.userId).model({ orgSlug: others.slug, modelSlug: seeded.model.slug }), "NOT_FOUND");
    expect((await as(org.owner.userId).orgModels({ orgSlug: org.slug, days: 30 })).models).toEqual([expect.objectContaining({ slug: seeded.model.slug, inferences: 3 })]);
  });
});

describe("a Datanet's attribution", () => {
  it("shows each version's commit as indexed, and what its records earned by contributor and model", async () => {
    const tab = await as(seeded.carol.userId).datanet({ orgSlug: org.slug, datanetSlug: seeded.datanet.slug, days: 30 });
    expect(tab.datanet.chainId).toBe(uuidToBytes32(seeded.datanet.id));
    expect(tab).toMatchObject({ days: 30, epochSeconds: EPOCH_SECONDS, currentEpoch: seeded.epoch });
    expect(tab.registration).toMatchObject({ txHash: expect.stringMatching(/^0x/) });
    expect(tab.versions).toEqual([expect.objectContaining({ number: 1, commit: expect.objectContaining({ rootMatches: true, blockNumber: expect.stringMatching(/^\d+$/) }) })]);
    // One Datanet trained the model: every amount, matched or not, is this Datanet's.
    expect(tab.totals).toEqual({ earned: sum([60, 45, 15].map((t) => contributorsPart(t).toString())).toString(), unsplit: "0", inferences: 3 });
    expect(tab.contributors.map((c) => c.label)).toEqual(["Alice Ferrywright", "Bob Quarry", "Carol Bellman"]);
    expect(tab.byModel).toEqual([expect.objectContaining({ modelId: seeded.model.id, name: seeded.model.name, inferences: 3 })]);
  });
});

describe("one inference", () => {
  it("lists its spans with their records' Datanets, its contributors, and its epoch's commit", async () => {
    const inferenceId = `cmpl-ferry-${seeded.model.id.slice(0, 8)}`;
    const page = await as(seeded.alice.userId).inference({ orgSlug: org.slug, inferenceId });
    expect(page.inference).toMatchObject({ inferenceId, method: "spans", epoch: seeded.epoch, epochEnded: false, epochSeconds: EPOCH_SECONDS, model: { name: seeded.model.name, versionNumber: 1 } });
    expect(page.spans).toHaveLength(1);
    expect(page.spans[0]!.text).toBe(normalizeText(PASSAGES.alice));
    expect(page.spans[0]!.start).toBe("Sure. ".length);
    expect(page.spans[0]!.records).toEqual([expect.objectContaining({ contributor: "Alice Ferrywright", datanet: { name: seeded.datanet.name, href: `/${org.slug}/datanets/${seeded.datanet.slug}` } })]);
    expect(page.contributors).toEqual([expect.objectContaining({ label: "Alice Ferrywright", wallet: seeded.alice.wallet, share: 1 })]);
    expect(page.commits).toEqual([expect.objectContaining({ txHash: expect.stringMatching(/^0x/) })]);
    expect(getAddress(seeded.alice.wallet)).toBe(seeded.alice.wallet);
    await expectTRPCError(as(org.owner.userId).inference({ orgSlug: org.slug, inferenceId: "cmpl-none" }), "NOT_FOUND", /attribution queue/);
  });
});
