// From answered inferences to rewards claimed on a real anvil node, on PGlite and on real Postgres:
// a trained version's registration is queued when it is recorded (after its Datanet version's
// commit), inferences are attributed and the ended epoch rolled up per version into a reward tree
// (contributors' and the owner's wallets), its commit and funding are queued in the outbox and
// sent, the contract holds the tree's root, and a contributor claims exactly their amount with the
// stored proof, once.
import { eq } from "drizzle-orm";
import { getAddress, type Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { buildNextIndex } from "@/server/attribution/build";
import { EPOCH_SECONDS, epochOf, epochRewardShares, ROLL_UP_GRACE_SECONDS, rollUpEndedEpochs } from "@/server/attribution/epochs";
import { attributeQueuedInferences, inferenceFee, recordInferenceForAttribution } from "@/server/attribution/requests";
import { tributaryRegistryAbi, tributaryRewardsAbi } from "@/server/chain/abi";
import { uuidToBytes32 } from "@/server/chain/calls";
import { versionCommitKey } from "@/server/chain/datanet-commits";
import { commitRolledUpEpochs, epochCommitKey, epochFundKey } from "@/server/chain/epoch-commits";
import { modelRegistrationKey } from "@/server/chain/model-registrations";
import { rewardTree } from "@/server/chain/rewards-merkle";
import { findEpoch } from "@/server/db/queries/attribution";
import { findOutboxRow } from "@/server/db/queries/chain";
import { attributionEpochModels, chainOutbox, deployments, users } from "@/server/db/schema";
import { splitFee } from "@/server/serving/fee-split";
import { devAccount, revertOf } from "../helpers/chain";
import { chainOrgForTests, driveUntil, openRows, testSender } from "../helpers/chain-outbox";
import { callerFor, createUser, testBlobs } from "../helpers/context";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { trainedThroughComplete } from "../helpers/finetune-fixture";

const t = chainOrgForTests("Marsh Models");

const modelOwner = devAccount(5);
const contributorA = devAccount(6);
const contributorB = devAccount(7);
const PASSAGE = "Salt marsh herons stand motionless for an hour before striking at the silver eels below.";
const OTHER = "Reed warblers weave their nests between three stems so the cup rises with the water.";
const split = { platformBps: 1000, ownerBps: 2000, contributorsBps: 7000 };

beforeAll(async () => {
  await t.db.update(users).set({ walletAddress: modelOwner.account.address.toLowerCase() }).where(eq(users.id, t.org.owner.userId));
});

describe("epoch commits", () => {
  it("inferences → roll-up → outbox → chain: the contract holds the tree's root, funded; each wallet claims its amount once with the stored proof", async () => {
    const { db, chain, config, org, orgId } = t;
    const c = await createUser(db);
    const { datanet, version } = await publishedDatanet(db, org, "Marsh Birds", [chatRecord("What do herons do?", PASSAGE), chatRecord("And warblers?", OTHER), chatRecord("Anything else?", "Nothing much happens on the marsh in the long winter months.")], "chat", {
      context: { chain: config },
      contributor: (i) => [{ contributorId: org.owner.userId, contributorWallet: contributorA.account.address.toLowerCase() }, { contributorId: c.userId, contributorWallet: contributorB.account.address.toLowerCase() }, { contributorId: c.userId, contributorWallet: null }][i]!,
    });
    const trained = await trainedThroughComplete(db, { orgId, userId: org.owner.userId }, config, version.id);
    const registration = await findOutboxRow(db, config.chainId, modelRegistrationKey(trained.fineTuneId));
    const datanetCommit = await findOutboxRow(db, config.chainId, versionCommitKey(version.id));
    expect(registration).toMatchObject({ status: "pending", dependsOn: [datanetCommit!.id], call: { contract: "registry", functionName: "registerModel" } });

    const [deployment] = await db.insert(deployments).values({ orgId, name: "herons-v1", modelId: trained.modelId, fineTuneId: trained.fineTuneId, baseModel: "tiny-llama", status: "ready", ...split }).returning();
    await recordInferenceForAttribution(db, { inferenceId: "chatcmpl-heron-1", deploymentId: deployment!.id, output: `Well: ${PASSAGE}`, usage: { promptTokens: 10, completionTokens: 20 } });
    await recordInferenceForAttribution(db, { inferenceId: "chatcmpl-heron-2", deploymentId: deployment!.id, output: `Also, ${OTHER}`, usage: { promptTokens: 4, completionTokens: 16 } });
    // Matches no record: shared by every contributor's training bytes, C's too.
    await recordInferenceForAttribution(db, { inferenceId: "chatcmpl-heron-3", deploymentId: deployment!.id, output: "Nothing here comes from the data at all.", usage: { promptTokens: 3, completionTokens: 9 } });
    expect(await buildNextIndex(db, testBlobs)).toBe(trained.fineTuneId);
    expect(await attributeQueuedInferences(db, testBlobs)).toBe(3);

    const today = epochOf(new Date());
    // No chain call before the roll-up; the roll-up, then the commit, once.
    expect(await commitRolledUpEpochs(db, testBlobs, config)).toBe(0);
    expect(await rollUpEndedEpochs(db, new Date(((today + 1) * EPOCH_SECONDS + ROLL_UP_GRACE_SECONDS + 1) * 1000))).toEqual([today]);
    expect(await commitRolledUpEpochs(db, testBlobs, { ...config, committerKey: null })).toBe(0);
    expect(await commitRolledUpEpochs(db, testBlobs, config)).toBe(1);
    expect(await commitRolledUpEpochs(db, testBlobs, config)).toBe(0);

    const fees = [inferenceFee({ promptTokens: 10, completionTokens: 20 }), inferenceFee({ promptTokens: 4, completionTokens: 16 }), inferenceFee({ promptTokens: 3, completionTokens: 9 })].map((fee) => splitFee(fee, split));
    const sum = (part: "owner" | "contributors" | "platform") => fees.reduce((total, f) => total + f[part], 0n);
    const shares = (await epochRewardShares(db, today, trained.fineTuneId))!;
    const byWallet = new Map(shares.map((s) => [getAddress(s.contributor), s.amount]));
    // A's and B's spans, and the owner's 20 % (the owner linked a wallet); C has none and stays off the tree.
    expect([...byWallet.keys()].sort()).toEqual([contributorA.account.address, contributorB.account.address, modelOwner.account.address].sort());
    expect(byWallet.get(modelOwner.account.address)).toBe(sum("owner"));
    const owedToC = (await findEpoch(db, today))!.versions[0]!.shares.filter((s) => s.wallet === null);
    expect(owedToC).toEqual([expect.objectContaining({ contributorKey: `contributor:${c.userId}`, proof: null })]);
    expect(byWallet.get(contributorA.account.address)! + byWallet.get(contributorB.account.address)! + BigInt(owedToC[0]!.amount)).toBe(sum("contributors"));
    const tree = rewardTree(shares);
    const [rolled] = await db.select().from(attributionEpochModels).where(eq(attributionEpochModels.fineTuneId, trained.fineTuneId));
    expect(rolled).toMatchObject({ root: tree.root, total: tree.total.toString(), platformAmount: sum("platform").toString(), chainId: config.chainId, rewardsAddress: config.addresses.rewards });

    const commitKey = epochCommitKey(config.chainId, trained.fineTuneId, today);
    expect(commitKey).toBe(`epoch:${config.chainId}:${trained.fineTuneId}:${today}`);
    const commit = await findOutboxRow(db, config.chainId, commitKey);
    const funding = await findOutboxRow(db, config.chainId, epochFundKey(config.chainId, trained.fineTuneId, today));
    expect(commit).toMatchObject({ status: "pending", dependsOn: [registration!.id], call: { contract: "rewards", functionName: "commitEpoch" } });
    expect(funding).toMatchObject({ status: "pending", dependsOn: [commit!.id], value: tree.total.toString(), call: { functionName: "fund" } });

    await driveUntil(testSender(db, config), async () => (await openRows(db)) === 0, 30_000);
    expect((await db.select({ key: chainOutbox.idempotencyKey, status: chainOutbox.status, error: chainOutbox.lastError }).from(chainOutbox)).filter((r) => r.status !== "confirmed")).toEqual([]);

    const modelId = uuidToBytes32(trained.fineTuneId);
    const [storedOwner, adapterHash, baseModel] = await chain.publicClient.readContract({ address: config.addresses.registry, abi: tributaryRegistryAbi, functionName: "models", args: [modelId] });
    expect([storedOwner, adapterHash, baseModel]).toEqual([modelOwner.account.address, `0x${trained.adapterHash}`, "tiny-llama"]);
    expect(await chain.publicClient.readContract({ address: config.addresses.registry, abi: tributaryRegistryAbi, functionName: "trainingData", args: [modelId] })).toEqual([{ datanetId: uuidToBytes32(datanet.id), version: 1 }]);
    const [root, token, total, funded, claimed] = await chain.publicClient.readContract({ address: config.addresses.rewards, abi: tributaryRewardsAbi, functionName: "epochs", args: [modelId, BigInt(today)] });
    expect({ root, token, total, funded, claimed }).toEqual({ root: tree.root, token: "0x0000000000000000000000000000000000000000", total: tree.total, funded: tree.total, claimed: 0n });

    // A claims with what attribution.claimable gives, and gets exactly its amount; a second claim reverts.
    const claims = await callerFor(db, c.userId).attribution.claimable({ wallet: contributorA.account.address });
    expect(claims).toEqual([
      {
        chainId: config.chainId,
        contract: config.addresses.rewards,
        modelId,
        model: "Herons v1",
        epoch: today,
        amount: byWallet.get(contributorA.account.address)!.toString(),
        proof: tree.claims.find((t) => t.contributor === contributorA.account.address)!.proof,
        root: tree.root,
        commit: "confirmed",
        funding: "confirmed",
        claimed: false,
      },
    ]);
    const claim = claims[0]!;
    const args = [claim.modelId, BigInt(claim.epoch), BigInt(claim.amount), claim.proof] as const;
    const before = await chain.publicClient.getBalance({ address: contributorA.account.address });
    const hash = await chain.walletClient.writeContract({ account: contributorA.account, address: claim.contract, abi: tributaryRewardsAbi, functionName: "claim", args });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    const after = await chain.publicClient.getBalance({ address: contributorA.account.address });
    expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).toBe(BigInt(claim.amount));
    expect(await revertOf(chain.publicClient.simulateContract({ account: contributorA.account, address: claim.contract, abi: tributaryRewardsAbi, functionName: "claim", args }))).toBe(
      `AlreadyClaimed(${modelId}, ${today}, ${contributorA.account.address})`,
    );
    // The owner's leaf pays the owner's wallet the same way.
    const [ownerClaim] = await callerFor(db, org.owner.userId).attribution.claimable({ wallet: modelOwner.account.address.toLowerCase() });
    expect(ownerClaim).toMatchObject({ amount: sum("owner").toString(), epoch: today });
    const ownerHash = await chain.walletClient.writeContract({ account: modelOwner.account, address: ownerClaim!.contract, abi: tributaryRewardsAbi, functionName: "claim", args: [ownerClaim!.modelId, BigInt(today), BigInt(ownerClaim!.amount), ownerClaim!.proof] });
    expect((await chain.publicClient.waitForTransactionReceipt({ hash: ownerHash })).status).toBe("success");

    // A wallet with no share has nothing to claim.
    expect(await callerFor(db, c.userId).attribution.claimable({ wallet: devAccount(9).account.address })).toEqual([]);
  });

  it("asks for a wallet address", async () => {
    const { db } = t;
    const user = await createUser(db);
    await expect(callerFor(db, user.userId).attribution.claimable({ wallet: "0x1234" as Hex })).rejects.toThrow(/0x-prefixed 20-byte address/);
    await expect(callerFor(db, null).attribution.claimable({ wallet: modelOwner.account.address })).rejects.toThrow(/Sign in/);
  });
});
