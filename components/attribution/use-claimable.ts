"use client";
// The rewards a wallet can claim now, one per committed model epoch: { model, epoch, amount,
// proof, rewardsContract, claimed }. INTERIM: it reads attributionDashboards.interimClaimable
// until the chain writer's attribution.claimable is merged; then only the query below changes
// (to trpc.attribution.claimable), and the rest of the page keeps this shape.
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
  model: string;
  epoch: string | number | bigint;
  amount: string | number | bigint;
  proof: readonly string[];
  rewardsContract: string;
  claimed: boolean;
}

const toClaimable = (c: Answered): Claimable => ({
  model: c.model as Hex,
  epoch: BigInt(c.epoch),
  amount: BigInt(c.amount),
  proof: c.proof as Hex[],
  rewardsContract: c.rewardsContract as Address,
  claimed: c.claimed,
});

export function useClaimable(wallet: string | null) {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.attributionDashboards.interimClaimable.queryOptions({ wallet: wallet ?? "" }),
    enabled: wallet !== null,
    select: (rows: Answered[]) => rows.map(toClaimable),
  });
}
