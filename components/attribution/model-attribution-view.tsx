"use client";
// A model's attribution: its answers over time, the contributors they drew on and their shares
// over time, its epochs with their commits as the indexer read them, and its latest answers,
// each linking to its matched spans.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { buttonClasses, Card, CardBody, CardHeader, EmptyState, LineChart, Table, TBody, TD, TH, THead, TR, type ChartSeries } from "@/components/ui";
import { BarCard, contributorBars } from "./bar-list";
import { useChainInfo } from "./chain-banner";
import { ModelEpochs } from "./model-epochs";
import { epochAxis } from "./epochs";
import { formatAmount } from "./format";
import { StatTiles } from "./stat-tiles";
import type { ModelAttribution } from "./types";
import { WindowSelect, type Window } from "./window-select";

const seriesColors = ["text-brand-700", "text-warning-600", "text-danger-600", "text-gray-500", "text-success-700"];
const countTick = (v: number) => (Number.isInteger(v) ? v.toLocaleString("en") : "");
const percentTick = (v: number) => `${Math.round(v)} %`;

type Invocation = ModelAttribution["invocations"][number];

function Charts({ data }: { data: ModelAttribution }) {
  const axis = epochAxis(data);
  const perBucket = <T,>(values: [number, T][], add: (a: T, b: T) => T, zero: T) => axis.sum(new Map(values), add, zero);
  const count = (name: string, colorClass: string, y: (i: Invocation) => number): ChartSeries => ({
    name,
    colorClass,
    points: [...perBucket(data.invocations.map((i) => [i.epoch, y(i)]), (a, b) => a + b, 0)].map(([start, n]) => ({ x: axis.x(start), y: n })),
  });
  // A contributor's share of the fees of each bucket of time the model answered in.
  const fees = perBucket(data.invocations.map((i) => [i.epoch, BigInt(i.fee)]), (a, b) => a + b, 0n);
  const shares: ChartSeries[] = data.sharesOverTime.contributors.map((c, i) => {
    const amounts = perBucket(data.sharesOverTime.points.filter((p) => p.contributorKey === c.contributorKey).map((p) => [p.epoch, BigInt(p.amount)]), (a, b) => a + b, 0n);
    return {
      name: c.label,
      colorClass: seriesColors[i % seriesColors.length]!,
      points: [...fees].filter(([, fee]) => fee > 0n).map(([start, fee]) => ({ x: axis.x(start), y: Number(((amounts.get(start) ?? 0n) * 1_000_000n) / fee) / 10_000 })),
    };
  });
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <div className="min-w-0">
        <h3 className="mb-2 text-sm font-semibold text-gray-900">Answers {axis.per}</h3>
        <LineChart title={`Answers ${axis.per}`} yLabel="Answers" {...axis.chart} formatY={countTick} series={[count("Answers", "text-brand-700", (i) => i.inferences), count("Matched a span", "text-warning-600", (i) => i.spanMatched)]} />
      </div>
      <div className="min-w-0">
        <h3 className="mb-2 text-sm font-semibold text-gray-900">Shares over time</h3>
        <LineChart title={`Top contributors' share of the fees ${axis.per}`} yLabel="Share of fees" {...axis.chart} yDomain={[0, 100]} formatY={percentTick} series={shares} />
      </div>
    </div>
  );
}

function RecentAnswers({ orgSlug, data }: { orgSlug: string; data: ModelAttribution }) {
  return (
    <Table caption={`Latest answers of ${data.model.name}`}>
      <THead>
        <TR>
          <TH>Answered</TH>
          <TH>Version</TH>
          <TH>Matched</TH>
          <TH className="text-right">Fee</TH>
          <TH>Attribution</TH>
        </TR>
      </THead>
      <TBody>
        {data.recentInferences.map((r) => (
          <TR key={r.inferenceId}>
            <TD>{formatDateTime(r.createdAt)}</TD>
            <TD>v{r.versionNumber}{r.deploymentName && <span className="text-gray-600"> · {r.deploymentName}</span>}</TD>
            <TD>{r.method === "spans" ? `${r.spanCount} ${r.spanCount === 1 ? "span" : "spans"}` : <span className="text-gray-600">no span: shared by training data</span>}</TD>
            <TD className="text-right tabular-nums">{formatAmount(r.fee)}</TD>
            <TD>
              <Link href={`/${orgSlug}/attribution/inferences/${encodeURIComponent(r.inferenceId)}`} className="font-mono text-xs text-brand-800 underline-offset-2 hover:underline">{r.inferenceId}</Link>
            </TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

/** `canRetry`: the viewer is an owner or admin, who may send a failed chain call again. */
export function ModelAttributionView({ orgSlug, modelSlug, canRetry }: { orgSlug: string; modelSlug: string; canRetry: boolean }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<Window>(90);
  const query = useQuery({ ...trpc.attributionDashboards.model.queryOptions({ orgSlug, modelSlug, days }), placeholderData: (previous) => previous });
  const chain = useChainInfo();
  if (query.error && !query.data) {
    return <EmptyState titleAs="h2" title={`No model “${modelSlug}”`} description={serverErrors(query.error).message} action={<Link href={`/${orgSlug}/attribution/models`} className={buttonClasses()}>All models</Link>} />;
  }
  const data = query.data;
  if (!data) return null;
  const explorerUrl = chain.data?.explorerUrl ?? null;
  const answered = data.recentInferences.length > 0;

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title={data.model.name}
          description={
            <>
              Answers of this model attributed to the contributors of its training records, in the last {data.days} days (UTC).{" "}
              <Link href={`/${orgSlug}/models/${data.model.slug}`} className="text-brand-800 underline-offset-2 hover:underline">Model page</Link>
            </>
          }
          actions={<WindowSelect value={days} onChange={setDays} />}
        />
        <CardBody className="space-y-6">
          <StatTiles
            stats={[
              { label: "Answers", value: data.totals.inferences.toLocaleString("en"), hint: `last ${data.days} days` },
              { label: "Passed to contributors", value: formatAmount(data.totals.fee) },
              { label: "Matched a span", value: data.totals.inferences ? `${Math.round((data.invocations.reduce((t, i) => t + i.spanMatched, 0) / data.totals.inferences) * 100)} %` : "—", hint: "the rest are shared by training data" },
              { label: "Contributors", value: data.topContributors.length.toLocaleString("en"), hint: data.topContributors.length === 10 ? "top 10 listed" : "who earned" },
            ]}
          />
          {data.totals.inferences === 0 ? (
            <EmptyState
              title={answered ? `No answers in the last ${data.days} days` : "No attributed answers yet"}
              description="Deploy a version of this model and call it through the API: each answer is matched against the model's training records shortly after it is sent, and its contributors, spans and fees show here."
              action={<Link href={`/${orgSlug}/deployments`} className={buttonClasses("secondary")}>Deployments</Link>}
            />
          ) : (
            <Charts data={data} />
          )}
        </CardBody>
      </Card>
      {data.topContributors.length > 0 && (
        <BarCard title="Top contributors" description="By what the answers in this period passed on to them." rows={contributorBars(data.topContributors, (i) => data.topContributors[i]!.contributorKey)} />
      )}
      <ModelEpochs orgSlug={orgSlug} data={data} explorerUrl={explorerUrl} canRetry={canRetry} />
      <Card>
        <CardHeader title="Latest answers" description="Open one to see the spans it matched, its records and its contributors." />
        <CardBody>
          {answered ? <RecentAnswers orgSlug={orgSlug} data={data} /> : <p className="text-sm text-gray-600">No answer of this model has been attributed yet.</p>}
        </CardBody>
      </Card>
    </div>
  );
}
