// Attribution end to end on PGlite and on real Postgres: a trained version's index is built
// from its Datanet snapshot into blob storage, answered inferences are queued and attributed off
// the request path, `verify` recomputes a stored attribution from the snapshot alone, and an
// ended epoch rolls up into one share per wallet.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storedAttribution } from "@/server/attribution/attribute";
import { buildNextIndex } from "@/server/attribution/build";
import { EPOCH_SECONDS, epochOf, epochRewardShares, ROLL_UP_GRACE_SECONDS, rollUpEndedEpochs } from "@/server/attribution/epochs";
import { attributeQueuedInferences, inferenceFee, recordInferenceForAttribution } from "@/server/attribution/requests";
import { verifyAttribution } from "@/server/attribution/verify";
import type { Db } from "@/server/db/connect";
import { findEpoch, findIndex, requestIndex } from "@/server/db/queries/attribution";
import { attributionRequests, datanetVersions, deployments, fineTuneDatasets, fineTunes, jobs, models, organizations } from "@/server/db/schema";
import { env } from "@/server/env";
import { splitFee } from "@/server/serving/fee-split";
import { createUser, testBlobs } from "../helpers/context";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { createOrgWithOwner, type TestOrg } from "../helpers/orgs";

let database: TestDatabase;
let db: Db;
let org: TestOrg;
let orgId: string;
const walletA = "0x00000000000000000000000000000000000000a1";
/** The version the first test attributes inferences of. */
let attributedVersion = "";

const PASSAGE = "The ferry from Vellmar lists its cargo twice, once in tallow marks and once in ink, before the tide turns.";

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  org = await createOrgWithOwner(db, "Attributors");
  orgId = (await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug)))[0]!.id;
});
afterAll(async () => {
  await database?.close();
});

let seq = 0;
/** A Datanet version of records by A (with a wallet) and B (without), and a model version trained on it. */
async function trainedOnSnapshot() {
  const n = ++seq;
  const b = await createUser(db);
  const contents = [chatRecord("Where does the ferry go?", PASSAGE), chatRecord("Tell me about lichens.", "Cobalt lichens fade within nine days once the wardens stop salting the scree path."), chatRecord("Anything else?", "Nothing much happens in the valley during the long winter months.")];
  const { version } = await publishedDatanet(db, org, `Ferries ${n}`, contents, "chat", {
    contributor: (i) => (i === 0 ? { contributorId: org.owner.userId, contributorWallet: walletA } : { contributorId: b.userId, contributorWallet: null }),
  });
  const [model] = await db.insert(models).values({ orgId, slug: `attributed-${n}`, name: `Attributed ${n}`, baseModel: "tiny-llama" }).returning();
  const [job] = await db.insert(jobs).values({ orgId, kind: "finetune", status: "succeeded", payload: {}, requirements: {} }).returning();
  const [run] = await db
    .insert(fineTunes)
    .values({ orgId, modelId: model!.id, jobId: job!.id, versionNumber: 1, taskTemplate: "chat", hyperparameters: {}, exampleCount: 3, tokenCount: 60, estimate: {}, adapter: [] })
    .returning();
  await db.insert(fineTuneDatasets).values({ fineTuneId: run!.id, datanetVersionId: version.id });
  // What recordFineTuneResult does when the run succeeds.
  await requestIndex(db, { id: run!.id, orgId, modelId: model!.id });
  const [snapshot] = await db.select({ key: datanetVersions.snapshotBlobKey }).from(datanetVersions).where(eq(datanetVersions.id, version.id));
  return { fineTuneId: run!.id, modelId: model!.id, snapshotKey: snapshot!.key };
}

describe("attribution", () => {
  it("builds the index, attributes queued inferences once, and verify recomputes them from the snapshot", async () => {
    const trained = await trainedOnSnapshot();
    attributedVersion = trained.fineTuneId;
    const [deployment] = await db.insert(deployments).values({ orgId, name: `ferries-${seq}`, modelId: trained.modelId, fineTuneId: trained.fineTuneId, baseModel: "tiny-llama", status: "ready" }).returning();

    // Queued before the index exists: it waits, and is not lost.
    expect(await recordInferenceForAttribution(db, { inferenceId: `cmpl-${seq}-a`, deploymentId: deployment!.id, output: `Sure! ${PASSAGE}`, usage: { promptTokens: 12, completionTokens: 30 } })).toBe(true);
    expect(await attributeQueuedInferences(db, testBlobs)).toBe(0);
    const [waiting] = await db.select().from(attributionRequests).where(eq(attributionRequests.inferenceId, `cmpl-${seq}-a`));
    expect(waiting!.status).toBe("pending");
    expect(waiting!.notBefore.getTime()).toBeGreaterThan(Date.now());
    expect(waiting!.error).toMatch(/is pending; attribute once it is ready/);

    expect(await buildNextIndex(db, testBlobs)).toBe(trained.fineTuneId);
    const index = await findIndex(db, trained.fineTuneId);
    expect(index).toMatchObject({ status: "ready", recordCount: 3, blobPrefix: `attribution/${trained.fineTuneId}/${index!.indexHash}/` });
    expect((await testBlobs.list(index!.blobPrefix!)).sort()).toEqual(["manifest.json", "records.jsonl", "sa.bin", "text.bin"].map((f) => `${index!.blobPrefix}${f}`));

    await db.update(attributionRequests).set({ notBefore: new Date(0) });
    expect(await recordInferenceForAttribution(db, { inferenceId: `cmpl-${seq}-b`, fineTuneId: trained.fineTuneId, output: "Nothing here comes from the data at all.", usage: { promptTokens: 5, completionTokens: 8 } })).toBe(true);
    // The same inference recorded twice is attributed once.
    await recordInferenceForAttribution(db, { inferenceId: `cmpl-${seq}-b`, fineTuneId: trained.fineTuneId, output: "Nothing here comes from the data at all.", usage: { promptTokens: 5, completionTokens: 8 } });
    expect(await attributeQueuedInferences(db, testBlobs)).toBe(2);
    expect(await db.select().from(attributionRequests)).toEqual([]);

    const copied = (await storedAttribution(db, `cmpl-${seq}-a`))!;
    expect(copied.method).toBe("spans");
    expect(copied.spans).toHaveLength(1);
    // The deployment's split (the default, 10/20/70): the contributors' 70 % of the fee is divided.
    expect(copied.contributors).toEqual([expect.objectContaining({ contributorWallet: walletA, share: 1, amount: ((42n * env.ATTRIBUTION_REWARD_PER_TOKEN * 7n) / 10n).toString() })]);
    const unmatched = (await storedAttribution(db, `cmpl-${seq}-b`))!;
    expect(unmatched.method).toBe("fallback");
    expect(unmatched.contributors.map((c) => c.contributorWallet).sort()).toEqual([walletA, null].sort());
    expect(unmatched.contributors.reduce((sum, c) => sum + BigInt(c.amount), 0n)).toBe(splitFee(inferenceFee({ promptTokens: 5, completionTokens: 8 }), env.DEPLOYMENT_FEE_SPLIT).contributors);

    const snapshot = async function* () {
      yield* await testBlobs.get(trained.snapshotKey);
    };
    const verified = await verifyAttribution({ snapshots: [snapshot()], indexHash: index!.indexHash!, output: `Sure! ${PASSAGE}`, minWords: copied.minWords, feeAmount: BigInt(copied.feeAmount), stored: copied });
    expect(verified).toMatchObject({ indexHashMatches: true, differences: [] });
    const tampered = await verifyAttribution({ snapshots: [snapshot()], indexHash: index!.indexHash!, output: `Sure! ${PASSAGE}`, minWords: copied.minWords, feeAmount: BigInt(copied.feeAmount), stored: { ...copied, contributors: [{ ...copied.contributors[0]!, amount: "1" }] } });
    expect(tampered.differences).toEqual([expect.stringMatching(/stored share 1 amount 1, recomputed 1 amount/)]);
  });

  it("rolls an ended epoch up once per model version into one share per wallet, keeping contributors without one apart", async () => {
    const today = epochOf(new Date());
    expect(await rollUpEndedEpochs(db)).toEqual([]);
    const later = new Date(((today + 1) * EPOCH_SECONDS + ROLL_UP_GRACE_SECONDS + 1) * 1000);
    expect(await rollUpEndedEpochs(db, later)).toEqual([today]);
    expect(await rollUpEndedEpochs(db, later)).toEqual([]);
    const shares = (await epochRewardShares(db, today, attributedVersion))!;
    expect(shares.map((s) => s.contributor)).toEqual([walletA]);
    expect(shares[0]!.amount).toBeGreaterThan((42n * env.ATTRIBUTION_REWARD_PER_TOKEN * 7n) / 10n);
    expect(await epochRewardShares(db, today - 1, attributedVersion)).toBeNull();
    // B has no wallet: owed, kept by contributor id, out of the tree; the owner (no wallet either) likewise.
    const rolled = (await findEpoch(db, today))!.versions.find((v) => v.fineTuneId === attributedVersion)!;
    expect(rolled.shares.filter((s) => !s.wallet).map((s) => s.contributorKey)).toEqual([expect.stringMatching(/^contributor:[0-9a-f-]{36}$/)]);
    expect(rolled).toMatchObject({ inferenceCount: 2, ownerWallet: null, root: expect.stringMatching(/^0x[0-9a-f]{64}$/), total: shares[0]!.amount.toString() });
    expect(BigInt(rolled.ownerAmount)).toBeGreaterThan(0n);
  });

  it("gives up on an inference whose version's index failed, and refuses an unknown deployment", async () => {
    const trained = await trainedOnSnapshot();
    await db.update(fineTunes).set({ versionNumber: null }).where(eq(fineTunes.id, trained.fineTuneId));
    await expect(buildNextIndex(db, testBlobs)).rejects.toThrow(/is not a trained model version/);
    expect(await recordInferenceForAttribution(db, { deploymentId: "00000000-0000-4000-8000-000000000000", output: "x", usage: { promptTokens: 1, completionTokens: 1 } })).toBe(false);
    await recordInferenceForAttribution(db, { inferenceId: `cmpl-${seq}-c`, fineTuneId: trained.fineTuneId, output: PASSAGE, usage: { promptTokens: 1, completionTokens: 1 } });
    expect(await attributeQueuedInferences(db, testBlobs)).toBe(0);
    const [failed] = await db.select().from(attributionRequests).where(eq(attributionRequests.inferenceId, `cmpl-${seq}-c`));
    expect(failed).toMatchObject({ status: "failed" });
  });
});
