// A model whose answers were attributed and whose epoch is committed on a test chain, made through
// the real code paths where they exist: a Datanet version published and committed by the outbox's
// sender, the version's index built, inferences queued and attributed, the chain indexed by
// indexOnce. What the other half of issue 6 wires (registering the model and committing its epoch)
// is done here as the committer would, with the reward tree of the stored attributions.
import { eq } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { storedAttribution } from "@/server/attribution/attribute";
import { buildNextIndex } from "@/server/attribution/build";
import { epochOf } from "@/server/attribution/epochs";
import { attributeQueuedInferences, recordInferenceForAttribution } from "@/server/attribution/requests";
import { uuidToBytes32 } from "@/server/chain/calls";
import { indexOnce } from "@/server/chain/indexer";
import type { Db } from "@/server/db/connect";
import { requestIndex } from "@/server/db/queries/attribution";
import { chainOutbox, fineTuneDatasets, fineTunes, jobs, models, organizations, users } from "@/server/db/schema";
import type { BlobStore } from "@/server/storage/types";
import { devAccount } from "./chain";
import { tributaryCalls } from "./chain-calls";
import { committer, driveUntil, testSender, type deployedTestChain } from "./chain-outbox";
import { createUser } from "./context";
import { chatRecord, publishedDatanet } from "./datanet-fixture";
import { addMemberVia, type TestOrg } from "./orgs";

type DeployedChain = Awaited<ReturnType<typeof deployedTestChain>>;

export const PASSAGES = {
  alice: "The ferry from Vellmar lists its cargo twice, once in tallow marks and once in ink, before the tide turns.",
  bob: "Cobalt lichens fade within nine days once the wardens stop salting the scree path above the quarry.",
  carol: "Nothing much happens in the valley during the long winter months except the bell repairs.",
};

/** Answers a deployment gave: two reproduce a contributor's passage, one shares nothing with the data. */
export const ANSWERS = [
  { id: "cmpl-ferry", output: `Sure. ${PASSAGES.alice} That is all the harbour log says.`, tokens: [20, 40] },
  { id: "cmpl-lichen", output: `From the field notes: ${PASSAGES.bob}`, tokens: [15, 30] },
  { id: "cmpl-unmatched", output: "I do not know anything about that topic at all, sorry.", tokens: [5, 10] },
] as const;

export interface AttributedModel {
  orgId: string;
  datanet: { id: string; slug: string; name: string };
  model: { id: string; slug: string; name: string; fineTuneId: string; chainId: Hex };
  epoch: number;
  /** Alice: a viewer of the org, with a linked wallet (dev account 3). Bob: not a member, a wallet (4). Carol: a member, no wallet. */
  alice: { userId: string; wallet: Address };
  bob: { userId: string; wallet: Address };
  carol: { userId: string };
  /** The committed epoch's leaves, and what each wallet is owed. */
  leaves: { contributor: Address; amount: bigint }[];
}

/** What linking a wallet on the account page leaves (the SIWE flow has its own tests), and a readable name. */
async function nameAndWallet(db: Db, userId: string, name: string, wallet: Address | null) {
  await db.update(users).set({ name, walletAddress: wallet }).where(eq(users.id, userId));
}

/** The Datanet version and its contributors, committed on chain by the outbox's sender. */
async function committedDatanet(db: Db, org: TestOrg, chain: DeployedChain, name: string) {
  const alice = await addMemberVia(db, org, "viewer");
  const bob = await createUser(db);
  const carol = await addMemberVia(db, org, "member");
  const wallets = { alice: devAccount(3).account.address, bob: devAccount(4).account.address };
  await nameAndWallet(db, alice.userId, "Alice Ferrywright", wallets.alice);
  await nameAndWallet(db, bob.userId, "Bob Quarry", wallets.bob);
  await nameAndWallet(db, carol.userId, "Carol Bellman", null);
  const contributors = [
    { contributorId: alice.userId, contributorWallet: wallets.alice },
    { contributorId: bob.userId, contributorWallet: wallets.bob },
    { contributorId: carol.userId, contributorWallet: null },
  ];
  const { datanet, version } = await publishedDatanet(
    db,
    org,
    name,
    [chatRecord("Where does the ferry go?", PASSAGES.alice), chatRecord("Tell me about lichens.", PASSAGES.bob), chatRecord("Anything else?", PASSAGES.carol)],
    "chat",
    { context: { chain: chain.config }, contributor: (i) => contributors[i]! },
  );
  const open = async () => (await db.select({ status: chainOutbox.status }).from(chainOutbox)).every((r) => r.status === "confirmed");
  await driveUntil(testSender(db, chain.config), open);
  return { datanet, version, alice: { userId: alice.userId, wallet: wallets.alice }, bob: { userId: bob.userId, wallet: wallets.bob }, carol: { userId: carol.userId } };
}

/** A trained version (the rows a succeeded fine-tune leaves) of a new model, and its index built. */
async function trainedVersion(db: Db, store: BlobStore, orgId: string, datanetVersionId: string, name: string) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const [model] = await db.insert(models).values({ orgId, slug, name, baseModel: "tiny-llama" }).returning();
  const [job] = await db.insert(jobs).values({ orgId, kind: "finetune", status: "succeeded", payload: {}, requirements: {} }).returning();
  const [run] = await db
    .insert(fineTunes)
    .values({ orgId, modelId: model!.id, jobId: job!.id, versionNumber: 1, taskTemplate: "chat", hyperparameters: {}, exampleCount: 3, tokenCount: 60, estimate: {}, adapter: [] })
    .returning();
  await db.insert(fineTuneDatasets).values({ fineTuneId: run!.id, datanetVersionId });
  await requestIndex(db, { id: run!.id, orgId, modelId: model!.id });
  await buildNextIndex(db, store);
  return { id: model!.id, slug, name, fineTuneId: run!.id, chainId: uuidToBytes32(model!.id) };
}

export async function attributedModel(db: Db, store: BlobStore, org: TestOrg, chain: DeployedChain, options: { name?: string } = {}): Promise<AttributedModel> {
  const name = options.name ?? "Harbour Notes";
  const [orgRow] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug));
  const orgId = orgRow!.id;
  const { datanet, version, alice, bob, carol } = await committedDatanet(db, org, chain, name);
  const model = await trainedVersion(db, store, orgId, version.id, `${name} Assistant`);

  for (const answer of ANSWERS) {
    await recordInferenceForAttribution(db, { inferenceId: `${answer.id}-${model.id.slice(0, 8)}`, fineTuneId: model.fineTuneId, output: answer.output, usage: { promptTokens: answer.tokens[0], completionTokens: answer.tokens[1] } });
  }
  await attributeQueuedInferences(db, store);
  const epoch = epochOf(new Date());

  // The epoch's leaves: every stored share with a wallet, summed per wallet.
  const owed = new Map<Address, bigint>();
  for (const answer of ANSWERS) {
    const stored = await storedAttribution(db, `${answer.id}-${model.id.slice(0, 8)}`);
    for (const c of stored?.contributors ?? []) if (c.contributorWallet) owed.set(c.contributorWallet as Address, (owed.get(c.contributorWallet as Address) ?? 0n) + BigInt(c.amount));
  }
  const leaves = [...owed].map(([contributor, amount]) => ({ contributor, amount }));
  const calls = tributaryCalls(chain, chain.config.addresses, committer.account);
  await calls.registerModel(model.chainId, devAccount(0).account.address, [{ datanetId: uuidToBytes32(datanet.id), version: 1 }]);
  const { tree } = await calls.commitEpoch(model.chainId, BigInt(epoch), leaves);
  await calls.fund(devAccount(6).account, model.chainId, BigInt(epoch), tree.total);
  await indexChain(db, chain);
  return { orgId, datanet: { id: datanet.id, slug: datanet.slug, name: datanet.name }, model, epoch, alice, bob, carol, leaves };
}

/** Indexes the test chain up to its head. */
export async function indexChain(db: Db, chain: DeployedChain) {
  await indexOnce(db, chain.publicClient, { chainId: chain.config.chainId, contracts: chain.config.addresses, startBlock: 0n, confirmations: 1 });
}
