"use client";
// Claims one epoch's reward from TributaryRewards with the connected wallet: checks the wallet is
// the one the reward is for, switches it to the platform's chain, simulates the call (a revert
// is explained before anything is signed), sends it, and follows it: pending → confirmed in a
// block → indexed (the indexer has read its RewardClaimed event, so the dashboards count it).
// Must sit inside WalletProviders with the app's chain.
import { useConnectModal } from "@rainbow-me/rainbowkit";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { Address, Hex } from "viem";
import { useAccount, useConfig, useSwitchChain, useWaitForTransactionReceipt, useWriteContract } from "wagmi";
import { simulateContract } from "wagmi/actions";
import { shortHex } from "@/components/datanets/detail/format";
import { useTRPC } from "@/components/trpc/client";
import { Button, cn } from "@/components/ui";
import { tributaryRewardsAbi } from "@/server/chain/abi";
import { describeClaimRevert } from "@/server/chain/revert-reasons";
import { claimProblem } from "./claim-errors";

export interface ClaimButtonProps {
  rewardsContract: Address;
  /** The chain the contract is on. */
  chainId: number;
  /** The chain's bytes32 model id and the epoch: TributaryRewards.claim(modelId, epoch, amount, proof). */
  model: Hex;
  epoch: bigint;
  amount: bigint;
  proof: Hex[];
  /** The wallet the reward is for: only it can claim. */
  contributor: Address;
  /** Names the claim for screen readers, e.g. "epoch 23 Nov 2025 of Harbour Assistant". */
  subject: string;
  /** Called once the indexer has read the claim. */
  onIndexed?: () => void;
}

type Step = "idle" | "switching" | "checking" | "signing";

const stepWords: Record<Exclude<Step, "idle">, string> = {
  switching: "Switching your wallet to the platform's chain…",
  checking: "Checking the claim with the contract…",
  signing: "Confirm the claim in your wallet…",
};

const INDEXER_POLL_MS = 1_500;

export function ClaimButton({ rewardsContract, chainId, model, epoch, amount, proof, contributor, subject, onIndexed }: ClaimButtonProps) {
  const trpc = useTRPC();
  const config = useConfig();
  const { address, chainId: walletChainId, isConnected } = useAccount();
  const { openConnectModal } = useConnectModal();
  const { switchChainAsync } = useSwitchChain();
  const { writeContractAsync } = useWriteContract();
  const [step, setStep] = useState<Step>("idle");
  const [hash, setHash] = useState<Hex | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const receipt = useWaitForTransactionReceipt({ hash: hash ?? undefined, chainId, query: { enabled: hash !== null } });
  const mined = receipt.data?.status === "success";
  const indexed = useQuery({
    ...trpc.attributionDashboards.claimStatus.queryOptions({ txHash: hash ?? `0x${"0".repeat(64)}` }),
    enabled: mined,
    refetchInterval: (query) => (query.state.data ? false : INDEXER_POLL_MS),
  });
  const reported = useRef(false);
  useEffect(() => {
    if (indexed.data && !reported.current) {
      reported.current = true;
      onIndexed?.();
    }
  }, [indexed.data, onIndexed]);

  async function claim() {
    if (!address) return;
    setProblem(null);
    if (address.toLowerCase() !== contributor.toLowerCase()) {
      // What the contract would answer (InvalidProof from another wallet), said before anything is signed.
      setProblem(describeClaimRevert("InvalidProof", [], { contributor, sender: address }).message);
      return;
    }
    try {
      if (walletChainId !== chainId) {
        setStep("switching");
        await switchChainAsync({ chainId });
      }
      setStep("checking");
      const { request } = await simulateContract(config, { address: rewardsContract, abi: tributaryRewardsAbi, functionName: "claim", args: [model, epoch, amount, proof], account: address, chainId });
      setStep("signing");
      setHash(await writeContractAsync(request));
    } catch (error) {
      setProblem(claimProblem(error, { contributor, sender: address }));
    } finally {
      setStep("idle");
    }
  }

  let status: { text: string; tone: "muted" | "success" | "danger" } | null = null;
  if (problem) status = { text: problem, tone: "danger" };
  else if (step !== "idle") status = { text: stepWords[step], tone: "muted" };
  else if (indexed.data) status = { text: `Claimed: indexed in block ${indexed.data.blockNumber}.`, tone: "success" };
  else if (mined) status = { text: `Confirmed in block ${receipt.data!.blockNumber}. Waiting for the indexer to read it…`, tone: "muted" };
  else if (receipt.data?.status === "reverted") status = { text: `The transaction reverted in block ${receipt.data.blockNumber}: nothing was paid. Reload the page and claim again.`, tone: "danger" };
  else if (receipt.error) status = { text: `Sent as ${shortHex(hash ?? "", 10)}, but its receipt could not be read: ${receipt.error.message.split("\n")[0]}`, tone: "danger" };
  else if (hash) status = { text: `Pending: ${shortHex(hash, 10)} is waiting for a block.`, tone: "muted" };

  const sent = hash !== null && receipt.data?.status !== "reverted";
  return (
    <div className="flex min-w-0 flex-col items-start gap-1">
      {!isConnected ? (
        <Button size="sm" variant="secondary" onClick={openConnectModal}>
          Connect wallet<span className="sr-only"> to claim {subject}</span>
        </Button>
      ) : (
        !sent && (
          <Button size="sm" loading={step !== "idle"} onClick={claim}>
            {walletChainId === chainId ? "Claim" : "Switch chain and claim"}
            <span className="sr-only"> {subject}</span>
          </Button>
        )
      )}
      <p aria-live="polite" className={cn("w-full text-xs [overflow-wrap:anywhere]", status?.tone === "danger" ? "text-danger-700" : status?.tone === "success" ? "font-medium text-success-700" : "text-gray-600")}>
        {status?.text}
      </p>
    </div>
  );
}
