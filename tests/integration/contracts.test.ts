// The Tributary contracts on a real anvil node: access control, Datanets and versions (records
// proven with server/datanets/merkle.ts), models, attribution epochs funded in the native currency
// and in an ERC-20, claims with proofs from server/chain/rewards-merkle.ts, every revert, and the
// event of every state change.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keccak256, maxUint256, parseEventLogs, toHex, type Address, type Hex, type TransactionReceipt } from "viem";
import { testTokenAbi, tributaryRegistryAbi, tributaryRewardsAbi } from "@/server/chain/abi";
import { deployTestToken, deployTributary } from "@/server/chain/deploy";
import { rewardLeaf, rewardTree } from "@/server/chain/rewards-merkle";
import { merkleProof, merkleRoot } from "@/server/datanets/merkle";
import { CHAIN_ID, devAccount, revertOf, startTestChain } from "../helpers/chain";

type TestChain = Awaited<ReturnType<typeof startTestChain>>;
let chain: TestChain;
let registry: Address;
let rewards: Address;

const owner = devAccount(0).account;
const committer = devAccount(1).account;
const stranger = devAccount(2).account;
const alice = devAccount(3).account;
const bob = devAccount(4).account;
const carol = devAccount(5).account;
const funder = devAccount(6).account;

const id = (): Hex => toHex(randomBytes(32));
const sha256Hex = () => randomBytes(32).toString("hex");
const allAbis = [...tributaryRegistryAbi, ...tributaryRewardsAbi, ...testTokenAbi];

async function mined(hash: Hex): Promise<TransactionReceipt> {
  return chain.publicClient.waitForTransactionReceipt({ hash });
}

function eventsOf(receipt: TransactionReceipt) {
  return parseEventLogs({ abi: allAbis, logs: receipt.logs }).map((log) => ({ name: log.eventName, args: log.args as Record<string, unknown> }));
}

async function registerDatanet(datanetId: Hex, datanetOwner: Address = alice.address, metadataHash: Hex = id()) {
  return mined(await chain.walletClient.writeContract({ account: committer, address: registry, abi: tributaryRegistryAbi, functionName: "registerDatanet", args: [datanetId, datanetOwner, metadataHash] }));
}

async function commitVersion(datanetId: Hex, version: number, contentHashes: string[]) {
  return mined(
    await chain.walletClient.writeContract({
      account: committer,
      address: registry,
      abi: tributaryRegistryAbi,
      functionName: "commitVersion",
      args: [datanetId, version, merkleRoot(contentHashes), id(), BigInt(contentHashes.length), 2n],
    }),
  );
}

/** A registered model trained on a fresh Datanet's version 1. */
async function registeredModel(): Promise<Hex> {
  const datanetId = id();
  await registerDatanet(datanetId);
  await commitVersion(datanetId, 1, [sha256Hex(), sha256Hex()]);
  const modelId = id();
  await mined(
    await chain.walletClient.writeContract({
      account: committer,
      address: registry,
      abi: tributaryRegistryAbi,
      functionName: "registerModel",
      args: [modelId, bob.address, id(), "tiny-llama", [{ datanetId, version: 1 }]],
    }),
  );
  return modelId;
}

async function commitEpoch(modelId: Hex, epoch: bigint, root: Hex, total: bigint, token: Address = "0x0000000000000000000000000000000000000000") {
  return mined(await chain.walletClient.writeContract({ account: committer, address: rewards, abi: tributaryRewardsAbi, functionName: "commitEpoch", args: [modelId, epoch, root, token, total] }));
}

const simulateClaim = (account: typeof alice, modelId: Hex, epoch: bigint, amount: bigint, proof: Hex[]) =>
  chain.publicClient.simulateContract({ account, address: rewards, abi: tributaryRewardsAbi, functionName: "claim", args: [modelId, epoch, amount, proof] });

beforeAll(async () => {
  chain = await startTestChain();
  ({ registry, rewards } = await deployTributary({ rpcUrl: chain.anvil.url, chainId: CHAIN_ID, deployer: owner, committer: committer.address }));
}, 60_000);

afterAll(async () => {
  await chain?.anvil.stop();
});

describe("access control", () => {
  it("only committers commit; only the owner grants and revokes committers; each change is an event", async () => {
    const datanetId = id();
    const asStranger = { account: stranger, address: registry, abi: tributaryRegistryAbi, functionName: "registerDatanet", args: [datanetId, alice.address, id()] } as const;
    expect(await revertOf(chain.publicClient.simulateContract(asStranger))).toBe(`NotCommitter(${stranger.address})`);

    const grantByStranger = chain.publicClient.simulateContract({ account: stranger, address: registry, abi: tributaryRegistryAbi, functionName: "grantCommitter", args: [stranger.address] });
    expect(await revertOf(grantByStranger)).toBe(`NotOwner(${stranger.address})`);

    const granted = await mined(await chain.walletClient.writeContract({ account: owner, address: registry, abi: tributaryRegistryAbi, functionName: "grantCommitter", args: [stranger.address] }));
    expect(eventsOf(granted)).toEqual([{ name: "CommitterGranted", args: { account: stranger.address, by: owner.address } }]);
    const registered = await mined(await chain.walletClient.writeContract(asStranger));
    expect(registered.status).toBe("success");

    const revoked = await mined(await chain.walletClient.writeContract({ account: owner, address: registry, abi: tributaryRegistryAbi, functionName: "revokeCommitter", args: [stranger.address] }));
    expect(eventsOf(revoked)).toEqual([{ name: "CommitterRevoked", args: { account: stranger.address, by: owner.address } }]);
    const again = { ...asStranger, args: [id(), alice.address, id()] } as const;
    expect(await revertOf(chain.publicClient.simulateContract(again))).toBe(`NotCommitter(${stranger.address})`);
    expect(await chain.publicClient.readContract({ address: registry, abi: tributaryRegistryAbi, functionName: "isCommitter", args: [committer.address] })).toBe(true);
  });

  it("the owner hands ownership over, after which the old owner is refused", async () => {
    const { account: interim } = devAccount(7);
    const moved = await mined(await chain.walletClient.writeContract({ account: owner, address: rewards, abi: tributaryRewardsAbi, functionName: "transferOwnership", args: [interim.address] }));
    expect(eventsOf(moved)).toEqual([{ name: "OwnershipTransferred", args: { previousOwner: owner.address, newOwner: interim.address } }]);
    const byOld = chain.publicClient.simulateContract({ account: owner, address: rewards, abi: tributaryRewardsAbi, functionName: "grantCommitter", args: [stranger.address] });
    expect(await revertOf(byOld)).toBe(`NotOwner(${owner.address})`);
    await mined(await chain.walletClient.writeContract({ account: interim, address: rewards, abi: tributaryRewardsAbi, functionName: "transferOwnership", args: [owner.address] }));
    expect(await chain.publicClient.readContract({ address: rewards, abi: tributaryRewardsAbi, functionName: "owner" })).toBe(owner.address);
  });
});

describe("Datanets, versions and models", () => {
  it("registers a Datanet once, updates it, and commits each version once with its Merkle root", async () => {
    const datanetId = id();
    const metadataHash = id();
    const receipt = await registerDatanet(datanetId, alice.address, metadataHash);
    expect(eventsOf(receipt)).toEqual([{ name: "DatanetRegistered", args: { datanetId, owner: alice.address, metadataHash } }]);
    const duplicate = chain.publicClient.simulateContract({ account: committer, address: registry, abi: tributaryRegistryAbi, functionName: "registerDatanet", args: [datanetId, alice.address, id()] });
    expect(await revertOf(duplicate)).toBe(`DatanetExists(${datanetId})`);

    const newMetadata = id();
    const updated = await mined(await chain.walletClient.writeContract({ account: committer, address: registry, abi: tributaryRegistryAbi, functionName: "updateDatanet", args: [datanetId, carol.address, newMetadata] }));
    expect(eventsOf(updated)).toEqual([{ name: "DatanetUpdated", args: { datanetId, owner: carol.address, metadataHash: newMetadata } }]);

    const contentHashes = Array.from({ length: 7 }, sha256Hex);
    const root = merkleRoot(contentHashes);
    const manifestHash = id();
    const commit = { account: committer, address: registry, abi: tributaryRegistryAbi, functionName: "commitVersion", args: [datanetId, 1, root, manifestHash, 7n, 3n] } as const;
    const committed = await mined(await chain.walletClient.writeContract(commit));
    expect(eventsOf(committed)).toEqual([
      { name: "VersionCommitted", args: { datanetId, version: 1, recordsRoot: root, manifestHash, recordCount: 7n, contributorCount: 3n } },
    ]);
    expect(await revertOf(chain.publicClient.simulateContract(commit))).toBe(`VersionExists(${datanetId}, 1)`);
    expect(await revertOf(chain.publicClient.simulateContract({ ...commit, args: [datanetId, 0, root, manifestHash, 7n, 3n] }))).toBe(`InvalidVersion(${datanetId}, 0)`);
    const unknown = id();
    expect(await revertOf(chain.publicClient.simulateContract({ ...commit, args: [unknown, 1, root, manifestHash, 7n, 3n] }))).toBe(`UnknownDatanet(${unknown})`);
    const [, , latestVersion] = await chain.publicClient.readContract({ address: registry, abi: tributaryRegistryAbi, functionName: "datanets", args: [datanetId] });
    expect(latestVersion).toBe(1);

    // The contract accepts exactly the proofs merkle.ts makes, and nothing else.
    for (const hash of contentHashes) {
      const proof = merkleProof(contentHashes, hash)!;
      expect(await chain.publicClient.readContract({ address: registry, abi: tributaryRegistryAbi, functionName: "verifyRecord", args: [datanetId, 1, `0x${hash}`, proof] })).toBe(true);
    }
    const proofOfFirst = merkleProof(contentHashes, contentHashes[0]!)!;
    const verify = (hash: Hex, proof: Hex[], version = 1) =>
      chain.publicClient.readContract({ address: registry, abi: tributaryRegistryAbi, functionName: "verifyRecord", args: [datanetId, version, hash, proof] });
    expect(await verify(`0x${contentHashes[1]}`, proofOfFirst)).toBe(false);
    expect(await verify(`0x${sha256Hex()}`, proofOfFirst)).toBe(false);
    expect(await verify(`0x${contentHashes[0]}`, proofOfFirst, 2)).toBe(false);
  });

  it("registers a model on committed versions only, once", async () => {
    const datanetId = id();
    await registerDatanet(datanetId);
    await commitVersion(datanetId, 1, [sha256Hex()]);
    await commitVersion(datanetId, 3, [sha256Hex(), sha256Hex()]);
    const modelId = id();
    const adapterHash = id();
    const register = (versions: { datanetId: Hex; version: number }[]) =>
      ({ account: committer, address: registry, abi: tributaryRegistryAbi, functionName: "registerModel", args: [modelId, bob.address, adapterHash, "Qwen/Qwen2.5-0.5B-Instruct", versions] }) as const;

    expect(await revertOf(chain.publicClient.simulateContract(register([{ datanetId, version: 2 }])))).toBe(`UnknownVersion(${datanetId}, 2)`);
    expect(await revertOf(chain.publicClient.simulateContract(register([])))).toBe(`NoTrainingData(${modelId})`);
    const used = [{ datanetId, version: 1 }, { datanetId, version: 3 }];
    const receipt = await mined(await chain.walletClient.writeContract(register(used)));
    expect(eventsOf(receipt)).toEqual([
      { name: "ModelRegistered", args: { modelId, owner: bob.address, adapterHash, baseModel: "Qwen/Qwen2.5-0.5B-Instruct", datanetVersions: used } },
    ]);
    expect(await chain.publicClient.readContract({ address: registry, abi: tributaryRegistryAbi, functionName: "trainingData", args: [modelId] })).toEqual(used);
    expect(await chain.publicClient.readContract({ address: registry, abi: tributaryRegistryAbi, functionName: "modelExists", args: [modelId] })).toBe(true);
    expect(await revertOf(chain.publicClient.simulateContract(register(used)))).toBe(`ModelExists(${modelId})`);
  });
});

describe("reward leaves", () => {
  it("the contract's rewardLeaf equals rewards-merkle.ts's for edge and random values", async () => {
    const cases: [Address, bigint][] = [
      [alice.address, 1n],
      [bob.address, maxUint256],
      ["0x0000000000000000000000000000000000000001", 10n ** 18n],
      ...Array.from({ length: 5 }, () => [toHex(randomBytes(20)), BigInt(toHex(randomBytes(16)))] as [Address, bigint]),
    ];
    for (const [contributor, amount] of cases) {
      const onChain = await chain.publicClient.readContract({ address: rewards, abi: tributaryRewardsAbi, functionName: "rewardLeaf", args: [contributor, amount] });
      expect(onChain).toBe(rewardLeaf(contributor, amount));
    }
    // Not the single hash: the leaf is hashed twice.
    expect(rewardLeaf(alice.address, 1n)).not.toBe(keccak256(`0x${alice.address.slice(2).toLowerCase().padStart(64, "0")}${"1".padStart(64, "0")}`));
  });
});

describe("attribution epochs and claims", () => {
  it("native currency: commit, refuse claims until fully funded, pay each proven share once", async () => {
    const modelId = await registeredModel();
    const tree = rewardTree([
      { contributor: alice.address, amount: 3_000_000_000n },
      { contributor: bob.address, amount: 5_000_000_000n },
      { contributor: carol.address, amount: 7n },
    ]);
    const epoch = 1n;
    const commit = { account: committer, address: rewards, abi: tributaryRewardsAbi, functionName: "commitEpoch", args: [modelId, epoch, tree.root, "0x0000000000000000000000000000000000000000", tree.total] } as const;
    expect(await revertOf(chain.publicClient.simulateContract({ ...commit, account: stranger }))).toBe(`NotCommitter(${stranger.address})`);
    const unknownModel = id();
    expect(await revertOf(chain.publicClient.simulateContract({ ...commit, args: [unknownModel, epoch, tree.root, commit.args[3], tree.total] }))).toBe(`UnknownModel(${unknownModel})`);
    expect(await revertOf(chain.publicClient.simulateContract({ ...commit, args: [modelId, epoch, tree.root, commit.args[3], 0n] }))).toBe("ZeroAmount()");

    const committed = await mined(await chain.walletClient.writeContract(commit));
    expect(eventsOf(committed)).toEqual([{ name: "EpochCommitted", args: { modelId, epoch, root: tree.root, token: commit.args[3], total: tree.total } }]);
    expect(await revertOf(chain.publicClient.simulateContract(commit))).toBe(`EpochExists(${modelId}, 1)`);

    const [aliceClaim, bobClaim, carolClaim] = tree.claims as [(typeof tree.claims)[0], (typeof tree.claims)[0], (typeof tree.claims)[0]];
    // Unfunded epoch.
    expect(await revertOf(simulateClaim(alice, modelId, epoch, aliceClaim.amount, aliceClaim.proof))).toBe(`EpochNotFunded(${modelId}, 1, 0, ${tree.total})`);

    const fund = (amount: bigint, value: bigint) =>
      ({ account: funder, address: rewards, abi: tributaryRewardsAbi, functionName: "fund", args: [modelId, epoch, amount], value }) as const;
    expect(await revertOf(chain.publicClient.simulateContract(fund(100n, 99n)))).toBe("WrongValue(100, 99)");
    expect(await revertOf(chain.publicClient.simulateContract(fund(tree.total + 1n, tree.total + 1n)))).toBe(`OverFunded(${modelId}, 1, ${tree.total})`);
    const firstPart = await mined(await chain.walletClient.writeContract(fund(1000n, 1000n)));
    expect(eventsOf(firstPart)).toEqual([{ name: "EpochFunded", args: { modelId, epoch, funder: funder.address, amount: 1000n, funded: 1000n } }]);
    // Partly funded is still unfunded.
    expect(await revertOf(simulateClaim(alice, modelId, epoch, aliceClaim.amount, aliceClaim.proof))).toBe(`EpochNotFunded(${modelId}, 1, 1000, ${tree.total})`);
    await mined(await chain.walletClient.writeContract(fund(tree.total - 1000n, tree.total - 1000n)));

    // Wrong proofs: another leaf's proof, a wrong amount, and the right proof from the wrong wallet.
    expect(await revertOf(simulateClaim(alice, modelId, epoch, aliceClaim.amount, bobClaim.proof))).toBe(`InvalidProof(${modelId}, 1, ${alice.address}, ${aliceClaim.amount})`);
    expect(await revertOf(simulateClaim(alice, modelId, epoch, aliceClaim.amount + 1n, aliceClaim.proof))).toBe(`InvalidProof(${modelId}, 1, ${alice.address}, ${aliceClaim.amount + 1n})`);
    expect(await revertOf(simulateClaim(stranger, modelId, epoch, aliceClaim.amount, aliceClaim.proof))).toBe(`InvalidProof(${modelId}, 1, ${stranger.address}, ${aliceClaim.amount})`);
    expect(await revertOf(simulateClaim(alice, modelId, 2n, aliceClaim.amount, aliceClaim.proof))).toBe(`UnknownEpoch(${modelId}, 2)`);

    for (const [account, claim] of [[alice, aliceClaim], [bob, bobClaim], [carol, carolClaim]] as const) {
      const before = await chain.publicClient.getBalance({ address: account.address });
      const receipt = await mined(await chain.walletClient.writeContract({ account, address: rewards, abi: tributaryRewardsAbi, functionName: "claim", args: [modelId, epoch, claim.amount, claim.proof] }));
      const after = await chain.publicClient.getBalance({ address: account.address });
      expect(after - before + receipt.gasUsed * receipt.effectiveGasPrice).toBe(claim.amount);
      expect(eventsOf(receipt)).toEqual([{ name: "RewardClaimed", args: { modelId, epoch, contributor: account.address, token: commit.args[3], amount: claim.amount } }]);
      expect(await chain.publicClient.readContract({ address: rewards, abi: tributaryRewardsAbi, functionName: "isClaimed", args: [modelId, epoch, account.address] })).toBe(true);
    }
    // Double claim: refused in a call, and a sent transaction (gas given, so no estimate stops it) reverts on-chain.
    expect(await revertOf(simulateClaim(alice, modelId, epoch, aliceClaim.amount, aliceClaim.proof))).toBe(`AlreadyClaimed(${modelId}, 1, ${alice.address})`);
    const aliceBefore = await chain.publicClient.getBalance({ address: alice.address });
    const twice = await mined(
      await chain.walletClient.writeContract({ account: alice, address: rewards, abi: tributaryRewardsAbi, functionName: "claim", args: [modelId, epoch, aliceClaim.amount, aliceClaim.proof], gas: 200_000n }),
    );
    expect(twice.status).toBe("reverted");
    expect(await chain.publicClient.getBalance({ address: alice.address })).toBe(aliceBefore - twice.gasUsed * twice.effectiveGasPrice);
    expect(await chain.publicClient.getBalance({ address: rewards })).toBe(0n);
    const [, , total, funded, claimed] = await chain.publicClient.readContract({ address: rewards, abi: tributaryRewardsAbi, functionName: "epochs", args: [modelId, epoch] });
    expect([total, funded, claimed]).toEqual([tree.total, tree.total, tree.total]);
  });

  it("ERC-20: funding pulls approved tokens, claims pay tokens, a share is paid once", async () => {
    const token = await deployTestToken({ rpcUrl: chain.anvil.url, chainId: CHAIN_ID, deployer: owner });
    await mined(await chain.walletClient.writeContract({ account: funder, address: token, abi: testTokenAbi, functionName: "mint", args: [funder.address, 10n ** 21n] }));
    const modelId = await registeredModel();
    const tree = rewardTree([
      { contributor: alice.address, amount: 4n * 10n ** 18n },
      { contributor: carol.address, amount: 6n * 10n ** 18n },
    ]);
    const epoch = 7n;
    await commitEpoch(modelId, epoch, tree.root, tree.total, token);

    const fund = { account: funder, address: rewards, abi: tributaryRewardsAbi, functionName: "fund", args: [modelId, epoch, tree.total] } as const;
    expect(await revertOf(chain.publicClient.simulateContract(fund))).toBe(`TransferFailed(${token}, ${funder.address}, ${tree.total})`);
    expect(await revertOf(chain.publicClient.simulateContract({ ...fund, value: 1n }))).toBe("WrongValue(0, 1)");
    await mined(await chain.walletClient.writeContract({ account: funder, address: token, abi: testTokenAbi, functionName: "approve", args: [rewards, tree.total] }));
    const funded = await mined(await chain.walletClient.writeContract(fund));
    expect(eventsOf(funded)).toEqual([
      { name: "Transfer", args: { from: funder.address, to: rewards, value: tree.total } },
      { name: "EpochFunded", args: { modelId, epoch, funder: funder.address, amount: tree.total, funded: tree.total } },
    ]);

    const [aliceClaim] = tree.claims;
    const receipt = await mined(await chain.walletClient.writeContract({ account: alice, address: rewards, abi: tributaryRewardsAbi, functionName: "claim", args: [modelId, epoch, aliceClaim!.amount, aliceClaim!.proof] }));
    expect(eventsOf(receipt).map((e) => e.name)).toEqual(["Transfer", "RewardClaimed"]);
    expect(await chain.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: "balanceOf", args: [alice.address] })).toBe(aliceClaim!.amount);
    expect(await revertOf(simulateClaim(alice, modelId, epoch, aliceClaim!.amount, aliceClaim!.proof))).toBe(`AlreadyClaimed(${modelId}, 7, ${alice.address})`);
    expect(await chain.publicClient.readContract({ address: token, abi: testTokenAbi, functionName: "balanceOf", args: [rewards] })).toBe(tree.total - aliceClaim!.amount);
  });

  it("a root whose leaves sum past its total cannot pay out more than the total", async () => {
    const modelId = await registeredModel();
    const tree = rewardTree([
      { contributor: alice.address, amount: 600n },
      { contributor: bob.address, amount: 600n },
    ]);
    await commitEpoch(modelId, 1n, tree.root, 1000n);
    await mined(await chain.walletClient.writeContract({ account: funder, address: rewards, abi: tributaryRewardsAbi, functionName: "fund", args: [modelId, 1n, 1000n], value: 1000n }));
    const [first, second] = tree.claims;
    await mined(await chain.walletClient.writeContract({ account: alice, address: rewards, abi: tributaryRewardsAbi, functionName: "claim", args: [modelId, 1n, first!.amount, first!.proof] }));
    expect(await revertOf(simulateClaim(bob, modelId, 1n, second!.amount, second!.proof))).toBe(`ExceedsTotal(${modelId}, 1, 400)`);
  });
});
