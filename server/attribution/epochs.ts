// Epoch roll-up: the amounts an epoch's inferences owe each contributor wallet, summed into
// reward leaves (./leaf.ts) and the Merkle root the chain outbox commits later. Re-running it
// for the same epoch and scope replaces the earlier roll-up.
import { getAddress, type Hex } from "viem";
import type { Db } from "@/server/db/connect";
import { epochAmounts, epochLeaves, saveEpoch } from "@/server/db/queries/attribution";
import { merkleProofOfLeaf, merkleRootOfLeaves } from "@/server/datanets/merkle";
import { rewardLeaf } from "./leaf";

export interface RollUpInput {
  /** One model's inferences, or "all" models'. */
  modelId: string | "all";
  epoch: number;
}

const isAddress = (wallet: string) => /^0x[0-9a-f]{40}$/.test(wallet);

export async function rollUpEpoch(db: Db, input: RollUpInput) {
  const modelId = input.modelId === "all" ? null : input.modelId;
  const { amounts, inferences } = await epochAmounts(db, input.epoch, modelId);
  let withoutWallet = 0n;
  const leaves: { wallet: string; amount: string; leaf: Hex }[] = [];
  for (const a of amounts) {
    const amount = BigInt(a.amount);
    // Only addresses become leaves; a contributor with no (or no valid) wallet is owed the rest.
    if (a.wallet === null || !isAddress(a.wallet)) withoutWallet += amount;
    else if (amount > 0n) leaves.push({ wallet: a.wallet, amount: a.amount, leaf: rewardLeaf(getAddress(a.wallet), amount) });
  }
  leaves.sort((a, b) => (a.wallet < b.wallet ? -1 : 1));
  const root = merkleRootOfLeaves(leaves.map((l) => l.leaf));
  const total = leaves.reduce((sum, l) => sum + BigInt(l.amount), 0n);
  const row = await saveEpoch(
    db,
    { scope: input.modelId, modelId, epoch: input.epoch, root, total: total.toString(), withoutWallet: withoutWallet.toString(), leafCount: leaves.length, inferenceCount: inferences },
    leaves,
  );
  return { ...row, leaves };
}

/** A wallet's claim in an epoch roll-up: its amount and the proof MerkleProof.verify accepts, or null. */
export async function epochClaim(db: Db, epochId: string, wallet: string) {
  const leaves = await epochLeaves(db, epochId);
  const mine = leaves.find((l) => l.wallet === wallet.toLowerCase());
  if (!mine) return null;
  const proof = merkleProofOfLeaf(
    leaves.map((l) => l.leaf as Hex),
    mine.leaf as Hex,
  );
  return { wallet: getAddress(mine.wallet), amount: mine.amount, leaf: mine.leaf as Hex, proof: proof! };
}
