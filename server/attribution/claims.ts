// What a wallet can claim: its shares of committed epochs, each with the amount and Merkle proof
// that TributaryRewards.claim takes, the contract, and how far the commit and the funding got.
// Amounts and proofs are the off-chain detail the committed root commits to; whether a reward was
// claimed is what the indexer read from the chain's RewardClaimed events.
import { getAddress, type Hex } from "viem";
import { z } from "zod";
import { uuidToBytes32 } from "@/server/chain/calls";
import type { Db } from "@/server/db/connect";
import { claimableShares } from "@/server/db/queries/attribution";
import { indexedClaims } from "@/server/db/queries/chain-index";

export const claimableInput = z.object({ wallet: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "use the wallet's 0x-prefixed 20-byte address.") });

export async function claimable(db: Db, input: z.infer<typeof claimableInput>) {
  const rows = await claimableShares(db, input.wallet);
  const chainIds = [...new Set(rows.map((r) => r.chainId!))];
  const claims = (await Promise.all(chainIds.map((id) => indexedClaims(db, id, getAddress(input.wallet))))).flat();
  const claimed = new Set(claims.map((c) => `${c.modelId.toLowerCase()}/${c.epoch}`));
  return rows.map((r) => ({
    chainId: r.chainId!,
    contract: r.rewardsAddress as Hex,
    /** The model id on chain (the model version's id as bytes32) and what people call it. */
    modelId: uuidToBytes32(r.fineTuneId),
    model: `${r.modelName} v${r.versionNumber}`,
    epoch: r.epoch,
    /** In the smallest unit (wei), as a decimal string. */
    amount: r.amount,
    proof: r.proof as Hex[],
    root: r.root as Hex,
    /** The commit's outbox status; the claim opens once it is confirmed and the epoch funded. */
    commit: r.commitStatus,
    /** The committer's funding's status on a dev chain; null where the platform funds epochs itself. */
    funding: r.fundStatus,
    claimed: claimed.has(`${uuidToBytes32(r.fineTuneId).toLowerCase()}/${r.epoch}`),
  }));
}
