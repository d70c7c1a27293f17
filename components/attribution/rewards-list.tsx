"use client";
// The contributor's rewards per model epoch: what their wallet is owed, the epoch's commit as the
// indexer read it, and the reward's state: not committed yet, awaiting funding, claimable (with
// the Claim button), or claimed (its transaction); a list that stacks on a phone, so the Claim
// button never hides off-screen. Inside WalletProviders with the app's chain.
import { ConnectButton } from "@rainbow-me/rainbowkit";
import type { Address } from "viem";
import { Badge, EmptyState } from "@/components/ui";
import { ClaimButton } from "./claim-button";
import { afterEpochEnds, epochHeading, epochLabel, epochNoun } from "./epochs";
import { formatAmount } from "./format";
import { TxRef } from "./tx-ref";
import { modelLabel, type Earnings, type EarningsEpoch } from "./types";
import { useClaimable, type Claimable } from "./use-claimable";

/** One grid for the header and every row on wider screens; a phone stacks each row's parts. */
const columns = "gap-x-4 gap-y-2 px-4 py-3 sm:grid-cols-[minmax(0,1.3fr)_minmax(0,0.8fr)_minmax(0,1.1fr)_minmax(0,1.4fr)] sm:items-center";

interface Chain {
  chainId: number;
  explorerUrl: string | null;
}

function RewardState({ row, epochSeconds, claimable, checking, wallet, chain, onClaimed }: { row: EarningsEpoch; epochSeconds: number; claimable: Claimable | undefined; checking: boolean; wallet: Address; chain: Chain; onClaimed: () => void }) {
  if (row.claim) {
    return (
      <span className="flex flex-wrap items-center gap-2">
        <Badge variant="success">Claimed</Badge>
        <TxRef txHash={row.claim.txHash} blockNumber={row.claim.blockNumber} explorerUrl={chain.explorerUrl} />
      </span>
    );
  }
  if (!row.commit) return <span className="text-gray-600">Claimable once committed</span>;
  if (BigInt(row.commit.funded) < BigInt(row.commit.total)) {
    return <span className="text-gray-600">Awaiting funding: {formatAmount(row.commit.funded, row.commit.token)} of {formatAmount(row.commit.total, row.commit.token)}</span>;
  }
  if (claimable && !claimable.claimed) {
    return (
      <ClaimButton
        rewardsContract={claimable.rewardsContract}
        chainId={chain.chainId}
        model={claimable.model}
        epoch={claimable.epoch}
        amount={claimable.amount}
        proof={claimable.proof}
        contributor={wallet}
        subject={`${epochLabel(row.epoch, epochSeconds)} of ${modelLabel(row.model)}`}
        onIndexed={onClaimed}
      />
    );
  }
  if (claimable?.claimed) return <Badge variant="success">Claimed</Badge>;
  if (checking) return <span className="text-gray-600">Looking up the proof…</span>;
  return <span className="text-gray-600">No proof: the stored attributions do not rebuild this epoch&apos;s committed root</span>;
}

function CommitCell({ row, earnings, explorerUrl }: { row: EarningsEpoch; earnings: Earnings; explorerUrl: string | null }) {
  if (row.commit) return <TxRef txHash={row.commit.txHash} blockNumber={row.commit.blockNumber} explorerUrl={explorerUrl} />;
  return <span className="text-gray-600">{row.epoch >= earnings.currentEpoch ? `Open: committed ${afterEpochEnds(earnings.epochSeconds)}` : "Not committed yet"}</span>;
}

export function RewardsList({ earnings, chain, onClaimed }: { earnings: Earnings; chain: Chain; onClaimed: () => void }) {
  const { epochSeconds } = earnings;
  const claimable = useClaimable(earnings.wallet);
  const wallet = earnings.wallet as Address;
  const byEpoch = new Map((claimable.data ?? []).map((c) => [`${c.model}/${c.epoch}`, c]));
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="max-w-xl text-sm text-gray-600">
          Rewards are paid to <code className="font-mono text-xs break-all text-gray-900">{wallet}</code>, your linked wallet. Connect it to claim; the claim is a transaction you sign and pay gas for.
        </p>
        <ConnectButton label="Connect wallet" showBalance={false} chainStatus="none" accountStatus="address" />
      </div>
      {earnings.epochs.length === 0 ? (
        <EmptyState
          title="No rewards for your wallet yet"
          description={`Each ${epochNoun(epochSeconds)}'s earnings of your wallet's records are committed on chain per model after it ends. Once the model's owner funds that epoch, a Claim button appears here.`}
        />
      ) : (
        <ul aria-label="Your rewards by model and day" className="divide-y divide-gray-200 rounded-card border border-gray-200">
          <li aria-hidden="true" className={`${columns} hidden bg-gray-50 text-xs font-semibold tracking-wide text-gray-600 uppercase sm:grid`}>
            <span>{epochHeading(epochSeconds)} and model</span>
            <span className="text-right">Your amount</span>
            <span>On chain</span>
            <span>Reward</span>
          </li>
          {earnings.epochs.map((row) => {
            const reward = row.chainModelId ? byEpoch.get(`${row.chainModelId}/${row.epoch}`) : undefined;
            // The claim pays the wallet's whole leaf: its records' share plus, for the model's owner, the owner's share.
            const asOwner = reward ? reward.amount - BigInt(row.amount) : 0n;
            return (
              <li key={`${row.modelId}/${row.chainModelId ?? "off-chain"}/${row.epoch}`} className={`${columns} grid text-sm`}>
                <div className="min-w-0">
                  <p className="font-medium text-gray-900">{epochLabel(row.epoch, epochSeconds)}</p>
                  <p className="break-words text-gray-600">{modelLabel(row.model)}</p>
                </div>
                <div className="sm:text-right">
                  <p className="font-medium text-gray-900 tabular-nums">{formatAmount(reward ? reward.amount : row.amount, row.commit?.token)}</p>
                  {asOwner > 0n && <p className="text-xs text-gray-600">incl. {formatAmount(asOwner, row.commit?.token)} as the model&apos;s owner</p>}
                </div>
                <div className="min-w-0">
                  <span className="text-xs text-gray-600 sm:sr-only">On chain: </span>
                  <CommitCell row={row} earnings={earnings} explorerUrl={chain.explorerUrl} />
                </div>
                <div className="min-w-0">
                  <RewardState row={row} epochSeconds={epochSeconds} claimable={reward} checking={claimable.isPending} wallet={wallet} chain={chain} onClaimed={onClaimed} />
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
