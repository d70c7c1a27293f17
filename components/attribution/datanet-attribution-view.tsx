"use client";
// A Datanet's Attribution tab: its versions with the commit the indexer read for each, what its
// records earned per day when models trained on it answered, its contributors by those earnings,
// and the models that drew on it.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatCount, formatDateTime, shortHex } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Card, CardBody, CardHeader, EmptyState, Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { AmountChart, type AmountSeries } from "./amount-chart";
import { BarCard, contributorBars, modelBars } from "./bar-list";
import { useChainInfo } from "./chain-banner";
import { formatAmount } from "./format";
import { StatTiles } from "./stat-tiles";
import { TxRef } from "./tx-ref";
import type { DatanetAttribution } from "./types";
import { WindowSelect, type Window } from "./window-select";

function Versions({ data, explorerUrl }: { data: DatanetAttribution; explorerUrl: string | null }) {
  if (data.versions.length === 0) {
    return <EmptyState title="No versions yet" description="Publish a version on the Versions tab: its records' Merkle root is committed on chain, and it shows here with its block and transaction once the indexer has read it." />;
  }
  return (
    <Table caption="Versions and their commits on chain">
      <THead>
        <TR>
          <TH>Version</TH>
          <TH>Published</TH>
          <TH className="text-right">Records</TH>
          <TH>Merkle root</TH>
          <TH>On chain</TH>
        </TR>
      </THead>
      <TBody>
        {data.versions.map((v) => (
          <TR key={v.number}>
            <TD className="font-medium text-gray-900">v{v.number}</TD>
            <TD>{formatDateTime(v.createdAt)}</TD>
            <TD className="text-right tabular-nums">{formatCount(v.recordCount)}</TD>
            <TD><code className="font-mono text-xs" title={v.merkleRoot}>{shortHex(v.merkleRoot, 10)}</code></TD>
            <TD className="whitespace-normal!">
              {v.commit ? (
                <span className="flex flex-wrap items-center gap-2">
                  <Badge variant={v.commit.rootMatches ? "success" : "danger"}>{v.commit.rootMatches ? "Committed" : "Root differs"}</Badge>
                  <TxRef txHash={v.commit.txHash} blockNumber={v.commit.blockNumber} explorerUrl={explorerUrl} />
                </span>
              ) : (
                <span className="text-gray-600">{data.chainConfigured ? "Not on chain yet (the Versions tab shows its commit's progress)" : "No chain is set up"}</span>
              )}
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

function EarningsChart({ data }: { data: DatanetAttribution }) {
  const series: AmountSeries[] = [{ name: "Earned by its records", colorClass: "text-brand-700", amounts: new Map(data.byEpoch.map((e) => [e.epoch, e.amount])) }];
  if (BigInt(data.totals.unsplit) > 0n) series.push({ name: "Not split by Datanet (models trained on several, no span matched)", colorClass: "text-gray-500", amounts: new Map(data.byEpoch.map((e) => [e.epoch, e.unsplit])) });
  return <AmountChart title="Earned" window={data} series={series} />;
}

export function DatanetAttributionView({ orgSlug, datanetSlug }: { orgSlug: string; datanetSlug: string }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<Window>(90);
  const query = useQuery({ ...trpc.attributionDashboards.datanet.queryOptions({ orgSlug, datanetSlug, days }), placeholderData: (previous) => previous });
  const chain = useChainInfo();
  if (query.error) return <FormAlert message={serverErrors(query.error).message} />;
  const data = query.data;
  if (!data) return null;
  const explorerUrl = chain.data?.explorerUrl ?? null;
  const earned = data.totals.inferences > 0;

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title="Versions on chain"
          description={
            data.registration ? (
              <span className="inline-flex flex-wrap items-center gap-x-2">
                Registered on chain as <code className="font-mono text-xs" title={data.datanet.chainId}>{shortHex(data.datanet.chainId, 10)}</code> in
                <TxRef txHash={data.registration.txHash} blockNumber={data.registration.blockNumber} explorerUrl={explorerUrl} />
              </span>
            ) : (
              "Each published version's records root, as the chain indexer read it from the VersionCommitted event."
            )
          }
        />
        <CardBody><Versions data={data} explorerUrl={explorerUrl} /></CardBody>
      </Card>
      <Card>
        <CardHeader
          title="Earnings"
          description={`What this Datanet's records earned when models trained on it answered, in the last ${data.days} days (UTC). An answer's share for a contributor is split over their matched records' Datanets.`}
          actions={<WindowSelect value={days} onChange={setDays} />}
        />
        <CardBody className="space-y-6">
          <StatTiles
            stats={[
              { label: "Earned by its records", value: formatAmount(data.totals.earned) },
              { label: "Answers that drew on it", value: data.totals.inferences.toLocaleString("en") },
              { label: "Contributors who earned", value: data.contributors.length.toLocaleString("en") },
              { label: "Models", value: data.byModel.length.toLocaleString("en") },
            ]}
          />
          {earned ? (
            <EarningsChart data={data} />
          ) : (
            <EmptyState
              title={`No earnings in the last ${data.days} days`}
              description="When a model fine-tuned on a version of this Datanet answers a request, the part of its fee that its records earned shows here over time, with the contributors who earned it and the models that answered."
            />
          )}
        </CardBody>
      </Card>
      {earned && (
        <div className="grid gap-6 lg:grid-cols-2">
          <BarCard title="Contributors" description="By what their records in this Datanet earned." rows={contributorBars(data.contributors)} />
          <BarCard title="Models" description="Models whose answers drew on this Datanet." rows={modelBars(data.byModel)} />
        </div>
      )}
    </div>
  );
}
