// INTERIM, until the chain writer's `attribution.claimable({ wallet })` is merged: it replaces this
// file, and components/attribution/use-claimable.ts then calls it instead. The rewards a wallet
// can claim, per committed model epoch: the reward tree is rebuilt from the off-chain attributions
// of that model (or version) and epoch, and a proof is offered only when the rebuilt root is the
// root the indexer read from the EpochCommitted event, so a proof never disagrees with the chain.
import "server-only";
import { TRPCError } from "@trpc/server";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { bytes32ToUuid } from "@/server/chain/calls";
import type { ChainConfig } from "@/server/chain/config";
import { rewardTree } from "@/server/chain/rewards-merkle";
import type { Db } from "@/server/db/connect";
import { epochLeaves } from "@/server/db/queries/attribution-dashboards";
import { indexedClaims } from "@/server/db/queries/chain-index";
import { walletEpochs } from "./contributor";

const WALLET = /^0x[0-9a-f]{40}$/;

export const claimableInput = z.object({ wallet: z.string().refine((w) => isAddress(w, { strict: false }), "must be a 0x-prefixed 20-byte address") });

/** The shape `attribution.claimable` answers with: one claim per committed epoch. */
export const claimableEpoch = z.object({
  /** The chain's bytes32 model id. */
  model: z.string(),
  epoch: z.string(),
  amount: z.string(),
  proof: z.array(z.string()),
  rewardsContract: z.string(),
  claimed: z.boolean(),
});
export type ClaimableEpoch = z.infer<typeof claimableEpoch>;

export async function interimClaimable(db: Db, chain: ChainConfig | null, user: { walletAddress: string | null }, input: z.infer<typeof claimableInput>): Promise<ClaimableEpoch[]> {
  const wallet = getAddress(input.wallet);
  if (!user.walletAddress || getAddress(user.walletAddress) !== wallet) {
    throw new TRPCError({ code: "FORBIDDEN", message: `${wallet} is not the wallet linked to your account: link it under Settings → Your account to see its rewards.` });
  }
  if (!chain) return [];
  const [epochs, claims] = await Promise.all([walletEpochs(db, chain, wallet), indexedClaims(db, chain.chainId, wallet)]);
  const claimed = new Set(claims.map((c) => `${c.modelId}/${c.epoch}`));
  const out: ClaimableEpoch[] = [];
  for (const e of epochs) {
    if (!e.chainModelId || !e.commit) continue;
    const uuid = bytes32ToUuid(e.chainModelId)!;
    const leaves = (await epochLeaves(db, uuid === e.modelId ? { modelId: uuid } : { fineTuneId: uuid }, e.epoch)).filter((l) => WALLET.test(l.wallet) && BigInt(l.amount) > 0n);
    const tree = rewardTree(leaves.map((l) => ({ contributor: l.wallet as Address, amount: BigInt(l.amount) })));
    if (tree.root.toLowerCase() !== e.commit.root.toLowerCase()) continue;
    const mine = tree.claims.find((c) => c.contributor === wallet);
    if (!mine) continue;
    out.push({
      model: e.chainModelId,
      epoch: String(e.epoch),
      amount: mine.amount.toString(),
      proof: mine.proof as Hex[],
      rewardsContract: chain.addresses.rewards,
      claimed: claimed.has(`${e.chainModelId}/${e.epoch}`),
    });
  }
  return out;
}
