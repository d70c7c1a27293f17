"use client";
// API usage per UTC day for the org, one key or one deployment: requests (and errors) and
// tokens (prompt and completion), over the last 7, 30 or 90 days.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { plural } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Card, CardBody, CardHeader, EmptyState, LineChart, Select, type ChartSeries } from "@/components/ui";

const DAY_MS = 86_400_000;
const ranges = [7, 30, 90] as const;
type Range = (typeof ranges)[number];

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayLabel = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
const formatDay = (n: number) => dayLabel.format(new Date(n * DAY_MS));
/** Counts: whole numbers only, so a small day shows 0 and 1 rather than 0.5 requests. */
const formatCountTick = (v: number) => (Number.isInteger(v) ? v.toLocaleString("en") : "");

function DailyChart({ title, yLabel, series }: { title: string; yLabel: string; series: ChartSeries[] }) {
  return (
    <div className="min-w-0">
      <h3 className="mb-2 text-sm font-semibold text-gray-900">{title}</h3>
      <LineChart title={title} xLabel="Day" yLabel={yLabel} formatX={formatDay} formatY={formatCountTick} series={series} />
    </div>
  );
}

export function UsageChart({ orgSlug }: { orgSlug: string }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<Range>(30);
  const [keyId, setKeyId] = useState("");
  const [deploymentId, setDeploymentId] = useState("");
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ orgSlug }));
  const deployments = useQuery(trpc.deployments.list.queryOptions({ orgSlug }));
  const usage = useQuery({
    ...trpc.apiKeys.usage.queryOptions({ orgSlug, days, keyId: keyId || undefined, deploymentId: deploymentId || undefined }),
    placeholderData: (previous) => previous,
    refetchInterval: 30_000,
  });
  const rows = usage.data ?? [];
  const total = rows.reduce(
    (t, r) => ({ requests: t.requests + r.requests, errors: t.errors + r.errors, tokens: t.tokens + r.promptTokens + r.completionTokens }),
    { requests: 0, errors: 0, tokens: 0 },
  );
  const series = (name: string, colorClass: string, y: (r: (typeof rows)[number]) => number): ChartSeries => ({
    name,
    colorClass,
    points: rows.map((r) => ({ x: dayNumber(r.day), y: y(r) })),
  });
  const filtered = keyId !== "" || deploymentId !== "";

  return (
    <Card>
      <CardHeader
        title="Usage"
        description={
          usage.data
            ? `${plural(total.requests, "request")} (${plural(total.errors, "error")}) and ${plural(total.tokens, "token")} in the last ${days} days. Days are UTC.`
            : "Requests and tokens per day. Days are UTC."
        }
      />
      <CardBody className="space-y-6">
        <div className="grid gap-4 sm:grid-cols-3">
          <Select label="Key" value={keyId} onChange={(e) => setKeyId(e.target.value)}>
            <option value="">All keys</option>
            {(keys.data ?? []).map((k) => <option key={k.id} value={k.id}>{k.name} ({k.prefix}…)</option>)}
          </Select>
          <Select label="Deployment" value={deploymentId} onChange={(e) => setDeploymentId(e.target.value)}>
            <option value="">All deployments</option>
            {(deployments.data ?? []).map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </Select>
          <Select label="Period" value={days} onChange={(e) => setDays(Number(e.target.value) as Range)}>
            {ranges.map((r) => <option key={r} value={r}>Last {r} days</option>)}
          </Select>
        </div>
        {usage.error && <FormAlert message={serverErrors(usage.error).message} />}
        {usage.data && total.requests === 0 ? (
          <EmptyState
            title={filtered ? "No calls match these filters" : `No API calls in the last ${days} days`}
            description="Each call to the API with one of this organization's keys appears here on the day it was made: requests and errors, and the prompt and completion tokens it used."
            icon={
              <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
                <path d="M4 20V10M10 20V4M16 20v-8M22 20H2" />
              </svg>
            }
          />
        ) : (
          usage.data && (
            <div className="grid gap-6 lg:grid-cols-2">
              <DailyChart title="Requests per day" yLabel="Requests" series={[series("Requests", "text-brand-700", (r) => r.requests), series("Errors", "text-danger-600", (r) => r.errors)]} />
              <DailyChart
                title="Tokens per day"
                yLabel="Tokens"
                series={[series("Prompt tokens", "text-brand-700", (r) => r.promptTokens), series("Completion tokens", "text-warning-600", (r) => r.completionTokens)]}
              />
            </div>
          )
        )}
      </CardBody>
    </Card>
  );
}
