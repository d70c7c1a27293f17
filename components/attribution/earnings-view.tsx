"use client";
// "My earnings": what the signed-in contributor's records earned across every organization's
// models, per day, by model and by Datanet; what is committed, claimable and claimed; and the
// rewards table with a Claim button per funded epoch.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { buttonClasses, Card, CardBody, CardHeader, EmptyState } from "@/components/ui";
import { WalletProviders, type WalletSettings } from "@/components/wallet/wallet-providers";
import { AmountChart, type AmountSeries } from "./amount-chart";
import { BarCard, modelBars } from "./bar-list";
import { useChainInfo } from "./chain-banner";
import { plural } from "@/components/datanets/detail/format";
import { epochNoun } from "./epochs";
import { formatAmount, toEth } from "./format";
import { Notice } from "./notice";
import { RewardsList } from "./rewards-list";
import { StatTiles } from "./stat-tiles";
import type { Earnings } from "./types";
import { WindowSelect, type Window } from "./window-select";

const coinsIcon = (
  <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
    <ellipse cx="12" cy="6" rx="7" ry="3" />
    <path d="M5 6v6c0 1.7 3.1 3 7 3s7-1.3 7-3V6M5 12v6c0 1.7 3.1 3 7 3s7-1.3 7-3v-6" />
  </svg>
);

function EarningsChart({ earnings }: { earnings: Earnings }) {
  const series: AmountSeries[] = [{ name: "Earned", colorClass: "text-brand-700", amounts: new Map(earnings.byEpoch.map((e) => [e.epoch, e.amount])) }];
  if (BigInt(earnings.totals.claimed) > 0n) series.push({ name: "Claimed, by when it was earned", colorClass: "text-warning-600", amounts: new Map(earnings.byEpoch.map((e) => [e.epoch, e.claimed])) });
  return <AmountChart title="Earned and claimed" window={earnings} series={series} />;
}

function Breakdowns({ earnings }: { earnings: Earnings }) {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <BarCard title="By model" description="Answers of these models drew on your records." rows={modelBars(earnings.byModel)} />
      <BarCard
        title="By Datanet"
        description="The Datanets your matched records are in."
        rows={earnings.byDatanet.map((d) => ({
          key: d.datanetId ?? "unsplit",
          label: d.name ?? "Several Datanets (answers that matched no span)",
          href: d.slug && d.orgSlug ? `/${d.orgSlug}/datanets/${d.slug}/attribution` : null,
          value: toEth(d.amount),
          display: formatAmount(d.amount),
        }))}
      />
    </div>
  );
}

export function EarningsView({ orgSlug, walletSettings }: { orgSlug: string; walletSettings: WalletSettings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [days, setDays] = useState<Window>(90);
  const earnings = useQuery({ ...trpc.attributionDashboards.myEarnings.queryOptions({ days }), placeholderData: (previous) => previous });
  const chain = useChainInfo();
  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.attributionDashboards.myEarnings.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.attribution.claimable.queryKey() });
  }, [queryClient, trpc]);

  if (earnings.error) return <FormAlert message={serverErrors(earnings.error).message} />;
  const data = earnings.data;
  if (!data) return null;
  const settingsLink = <Link href={`/${orgSlug}/settings/account`} className={buttonClasses("secondary")}>Link a wallet</Link>;
  const nothing = data.totals.inferences === 0 && data.epochs.length === 0;

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title="Your earnings"
          description={`What your records earned when models trained on them answered, across every organization, in the last ${data.days} days. Times are UTC.`}
          actions={<WindowSelect value={days} onChange={setDays} />}
        />
        <CardBody className="space-y-6">
          {nothing ? (
            <EmptyState
              icon={coinsIcon}
              title={`No earnings in the last ${data.days} days`}
              description="When a model fine-tuned on a Datanet you contributed to answers a request, your records' part of its fee shows here, per day, by model and by Datanet."
              action={<Link href={`/${orgSlug}/datanets`} className={buttonClasses("secondary")}>Contribute to a Datanet</Link>}
            />
          ) : (
            <>
              <StatTiles
                stats={[
                  { label: `Earned, last ${data.days} days`, value: formatAmount(data.totals.earned), hint: plural(data.totals.inferences, "answer") },
                  { label: "Committed on chain", value: formatAmount(data.totals.committed), hint: "all time, your wallet's part" },
                  { label: "Claimed", value: formatAmount(data.totals.claimed), hint: "all time, from the chain" },
                  { label: "Without a wallet", value: formatAmount(data.totals.withoutWallet), hint: "owed to your account, in no reward tree" },
                ]}
              />
              {data.wallet && BigInt(data.totals.withoutWallet) > 0n && (
                <Notice title="Some of your records carry no wallet">
                  {formatAmount(data.totals.withoutWallet)} was earned by records you contributed before linking your wallet: it is owed to your account, and no reward tree on chain holds it.
                </Notice>
              )}
              <EarningsChart earnings={data} />
            </>
          )}
        </CardBody>
      </Card>
      {!nothing && data.byModel.length > 0 && <Breakdowns earnings={data} />}
      <Card>
        <CardHeader title="Rewards" description={`Per model and ${epochNoun(data.epochSeconds)}: your wallet's amount, the epoch's commit on chain, and its claim.`} />
        <CardBody>
          {!data.chainConfigured ? (
            <EmptyState title="No chain is set up" description="This server commits nothing on chain, so there is nothing to claim. An administrator sets CHAIN_RPC_URL and the contract addresses (or runs the local chain with npm run dev)." />
          ) : !data.wallet ? (
            <EmptyState title="Link a wallet to receive rewards" description="Rewards are committed on chain to the wallet your records carry. Link one under Settings → Your account; records you contribute afterwards earn to it." action={settingsLink} />
          ) : chain.data?.configured ? (
            <WalletProviders settings={walletSettings}>
              <RewardsList earnings={data} chain={{ chainId: chain.data.chainId, explorerUrl: chain.data.explorerUrl }} onClaimed={refresh} />
            </WalletProviders>
          ) : null}
        </CardBody>
      </Card>
    </div>
  );
}
