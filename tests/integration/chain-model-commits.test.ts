// A model's calls in the chain outbox and their Retry, on PGlite and Postgres against a real anvil:
// two trained versions' registrations fail (the signer is not a committer) and their epochs'
// commits and fundings fail behind them, each with the reason in words; an org admin retries one
// by its epoch and the other by its registration, the same rows go back to the queue (no new row,
// no second commit), and once the role is granted everything is committed exactly once.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildNextIndex } from "@/server/attribution/build";
import { EPOCH_SECONDS, epochOf, ROLL_UP_GRACE_SECONDS, rollUpEndedEpochs } from "@/server/attribution/epochs";
import { attributeQueuedInferences, recordInferenceForAttribution } from "@/server/attribution/requests";
import { tributaryRegistryAbi, tributaryRewardsAbi } from "@/server/chain/abi";
import { uuidToBytes32 } from "@/server/chain/calls";
import { commitRolledUpEpochs } from "@/server/chain/epoch-commits";
import { attributionEpochModels, chainOutbox, deployments } from "@/server/db/schema";
import { devAccount } from "../helpers/chain";
import { chainOrgForTests, driveUntil, openRows, owner, testSender } from "../helpers/chain-outbox";
import { callerFor, testBlobs } from "../helpers/context";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { expectTRPCError } from "../helpers/errors";
import { trainedThroughComplete } from "../helpers/finetune-fixture";
import { addMemberVia, createOrgWithOwner } from "../helpers/orgs";

const t = chainOrgForTests("Heron Works");

const stranger = devAccount(8);
const PASSAGE = "Grey herons nest in colonies called heronries, high in the alders beside the old mill pond.";

/** A version of a new model trained on the Datanet version, deployed, with one answer attributed. */
async function answeredModel(name: string, datanetVersionId: string) {
  const { db, config, org, orgId } = t;
  const trained = await trainedThroughComplete(db, { orgId, userId: org.owner.userId }, config, datanetVersionId, name);
  const [deployment] = await db.insert(deployments).values({ orgId, name: trained.modelSlug, modelId: trained.modelId, fineTuneId: trained.fineTuneId, baseModel: "tiny-llama", status: "ready" }).returning();
  await recordInferenceForAttribution(db, { inferenceId: `chatcmpl-${trained.modelSlug}`, deploymentId: deployment!.id, output: `Well: ${PASSAGE}`, usage: { promptTokens: 8, completionTokens: 20 } });
  return trained;
}

describe("a model's failed chain calls", () => {
  it("say why in words, and the owner's Retry sends the same rows again: each is committed once", async () => {
    const { db, chain, config, org } = t;
    const allSent = async () => (await openRows(db)) === 0;
    const { version } = await publishedDatanet(db, org, "Heron Notes", [chatRecord("Where do herons nest?", PASSAGE)], "chat", {
      context: { chain: config },
      contributor: () => ({ contributorId: org.owner.userId, contributorWallet: devAccount(6).account.address.toLowerCase() }),
    });
    await driveUntil(testSender(db, config), allSent);
    const herons = await answeredModel("Herons", version.id);
    const egrets = await answeredModel("Egrets", version.id);
    while (await buildNextIndex(db, testBlobs));
    expect(await attributeQueuedInferences(db, testBlobs)).toBe(2);
    const epoch = epochOf(new Date());
    expect(await rollUpEndedEpochs(db, new Date(((epoch + 1) * EPOCH_SECONDS + ROLL_UP_GRACE_SECONDS + 1) * 1000))).toEqual([epoch]);
    expect(await commitRolledUpEpochs(db, testBlobs, config)).toBe(2);

    // Sent by an account the contracts' owner never made a committer: both registrations are refused, and what waits on them fails.
    const strangerSender = testSender(db, { ...config, committerKey: stranger.key });
    await driveUntil(strangerSender, allSent);
    const admin = callerFor(db, org.owner.userId, { chain: config }).chain;
    const refused = `the contract reverted: the signing account ${stranger.account.address} is not a committer of this contract: its owner must call grantCommitter(${stranger.account.address}), or set CHAIN_COMMITTER_KEY to a committer's key (found while estimating gas; nothing was sent)`;
    expect(await admin.modelCommits({ orgSlug: org.slug, modelSlug: "herons" })).toEqual({
      registrations: [{ version: 1, status: "failed", txHash: null, blockNumber: null, attempts: 0, lastError: refused, nextAttemptAt: expect.any(Date) }],
      epochs: [
        {
          epoch,
          version: 1,
          commit: expect.objectContaining({ status: "failed", lastError: `it waits on the model version's registration, which failed: ${refused}` }),
          funding: expect.objectContaining({ status: "failed", lastError: `it waits on the epoch's commit, which failed: it waits on the model version's registration, which failed: ${refused}` }),
        },
      ],
    });
    expect(await admin.status()).toMatchObject({ pending: 0, failed: 6 });

    // Owners and admins retry; a viewer may not, and another org does not see the model.
    const viewer = await addMemberVia(db, org, "viewer");
    await expectTRPCError(callerFor(db, viewer.userId, { chain: config }).chain.retryModelCommit({ orgSlug: org.slug, modelSlug: "herons", version: 1, epoch }), "FORBIDDEN");
    expect((await callerFor(db, viewer.userId, { chain: config }).chain.modelCommits({ orgSlug: org.slug, modelSlug: "herons" })).registrations).toHaveLength(1);
    const other = await createOrgWithOwner(db, "Elsewhere");
    await expectTRPCError(callerFor(db, other.owner.userId, { chain: config }).chain.retryModelCommit({ orgSlug: other.slug, modelSlug: "herons", version: 1, epoch }), "NOT_FOUND", /No model “herons”/);
    await expectTRPCError(admin.retryModelCommit({ orgSlug: org.slug, modelSlug: "herons", version: 2, epoch: null }), "NOT_FOUND", /Herons has no version 2/);
    await expectTRPCError(admin.retryModelCommit({ orgSlug: org.slug, modelSlug: "herons", version: 1, epoch: epoch - 1 }), "NOT_FOUND", /was never queued for the chain/);

    await chain.walletClient.writeContract({ account: owner.account, address: config.addresses.registry, abi: tributaryRegistryAbi, functionName: "grantCommitter", args: [stranger.account.address] });
    await chain.walletClient.writeContract({ account: owner.account, address: config.addresses.rewards, abi: tributaryRewardsAbi, functionName: "grantCommitter", args: [stranger.account.address] });
    const keysBefore = (await db.select({ key: chainOutbox.idempotencyKey }).from(chainOutbox)).map((r) => r.key).sort();

    // By the epoch: its commit, its funding and the registration it waits on. The other model's rows stay failed.
    expect(await admin.retryModelCommit({ orgSlug: org.slug, modelSlug: "herons", version: 1, epoch })).toEqual({ status: "pending", requeued: 3 });
    expect((await admin.modelCommits({ orgSlug: org.slug, modelSlug: "herons" })).registrations).toMatchObject([{ status: "pending", attempts: 0, lastError: null }]);
    expect((await admin.modelCommits({ orgSlug: org.slug, modelSlug: "egrets" })).epochs).toMatchObject([{ commit: { status: "failed" }, funding: { status: "failed" } }]);
    // By the registration: it and the epoch calls that wait on it.
    expect(await admin.retryModelCommit({ orgSlug: org.slug, modelSlug: "egrets", version: 1, epoch: null })).toEqual({ status: "pending", requeued: 3 });
    await expectTRPCError(admin.retryModelCommit({ orgSlug: org.slug, modelSlug: "egrets", version: 1, epoch: null }), "BAD_REQUEST", /is pending, and nothing it waits on failed: there is nothing to retry/);

    await driveUntil(strangerSender, allSent, 30_000);
    expect((await db.select({ key: chainOutbox.idempotencyKey }).from(chainOutbox)).map((r) => r.key).sort()).toEqual(keysBefore);
    expect((await db.select({ status: chainOutbox.status }).from(chainOutbox)).every((r) => r.status === "confirmed")).toBe(true);
    for (const model of [herons, egrets]) {
      const { registrations, epochs } = await admin.modelCommits({ orgSlug: org.slug, modelSlug: model.modelSlug });
      expect(registrations).toMatchObject([{ status: "confirmed", lastError: null, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) }]);
      expect(epochs).toMatchObject([{ epoch, commit: { status: "confirmed" }, funding: { status: "confirmed" } }]);
      const [rolled] = await db.select().from(attributionEpochModels).where(eq(attributionEpochModels.fineTuneId, model.fineTuneId));
      const [root, , total, funded] = await chain.publicClient.readContract({ address: config.addresses.rewards, abi: tributaryRewardsAbi, functionName: "epochs", args: [uuidToBytes32(model.fineTuneId), BigInt(epoch)] });
      expect({ root, total: total.toString(), funded: funded.toString() }).toEqual({ root: rolled!.root, total: rolled!.total, funded: rolled!.total });
    }
    // Each registration and each epoch went on chain once.
    const registered = await chain.publicClient.getContractEvents({ address: config.addresses.registry, abi: tributaryRegistryAbi, eventName: "ModelRegistered", fromBlock: 0n });
    expect(registered.map((e) => e.args.modelId).sort()).toEqual([herons, egrets].map((m) => uuidToBytes32(m.fineTuneId)).sort());
    const committed = await chain.publicClient.getContractEvents({ address: config.addresses.rewards, abi: tributaryRewardsAbi, eventName: "EpochCommitted", fromBlock: 0n });
    expect(committed).toHaveLength(2);

    await expectTRPCError(admin.retryModelCommit({ orgSlug: org.slug, modelSlug: "herons", version: 1, epoch }), "BAD_REQUEST", /The commit of epoch \d+ of Herons v1 is confirmed/);
  });

  it("without a chain there is nothing to show or retry", async () => {
    const { db, org } = t;
    const owner = callerFor(db, org.owner.userId, { chain: null }).chain;
    expect(await owner.modelCommits({ orgSlug: org.slug, modelSlug: "herons" })).toEqual({ registrations: [], epochs: [] });
    await expectTRPCError(owner.retryModelCommit({ orgSlug: org.slug, modelSlug: "herons", version: 1, epoch: null }), "NOT_FOUND", /No chain is set up/);
  });
});
