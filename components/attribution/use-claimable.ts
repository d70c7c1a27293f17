"use client";
// The rewards a wallet can claim now, one per committed model epoch (attribution.claimable), in
// the shape the Claim button sends: { model, epoch, amount, proof, rewardsContract, claimed }.
import { useQuery } from "@tanstack/react-query";
import type { Address, Hex } from "viem";
import { useTRPC } from "@/components/trpc/client";

export interface Claimable {
  /** The chain's bytes32 model id. */
  model: Hex;
  epoch: bigint;
  amount: bigint;
  proof: Hex[];
  rewardsContract: Address;
  claimed: boolean;
}

interface Answered {
  modelId: string;
  epoch: number;
  amount: string;
  proof: readonly string[];
  contract: string;
  claimed: boolean;
}

const toClaimable = (c: Answered): Claimable => ({
  model: c.modelId as Hex,
  epoch: BigInt(c.epoch),
  amount: BigInt(c.amount),
  proof: c.proof as Hex[],
  rewardsContract: c.contract as Address,
  claimed: c.claimed,
});

export function useClaimable(wallet: string | null) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.attribution.claimable.queryOptions({ wallet: wallet ?? "" }),
    enabled: wallet !== null,
    select: (rows: Answered[]) => rows.map(toClaimable),
  });
}
