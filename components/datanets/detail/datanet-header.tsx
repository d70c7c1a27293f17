"use client";
// The top of a Datanet's pages: name, summary, badges and live stat cards, which
// refresh after a review or a publish because they read the same queries.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui";
import { formatCompact, formatCount, formatLabels, licenseLabel } from "./format";
import type { DatanetRef } from "./types";

function Stat({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div className="rounded-card border border-gray-200 bg-white px-4 py-3 shadow-sm">
      <dt className="text-xs font-medium text-gray-600">{label}</dt>
      <dd className="mt-1 text-xl font-semibold text-gray-900 tabular-nums" title={title}>{value}</dd>
    </div>
  );
}

export function DatanetHeader({ orgSlug, datanetSlug }: DatanetRef) {
  const trpc = useTRPC();
  const input = { orgSlug, datanetSlug };
  const datanet = useQuery(trpc.datanets.get.queryOptions(input));
  const stats = useQuery(trpc.datanets.stats.queryOptions(input));
  const versions = useQuery(trpc.datanets.versions.queryOptions(input));
  const pending = useQuery(trpc.datanets.records.queryOptions({ ...input, status: "pending", pageSize: 1 }));
  const d = datanet.data;
  if (!d) return null;
  const show = (n: number | undefined, format = formatCount) => (n === undefined ? "–" : format(n));

  return (
    <div className="mb-6">
      <Link href={`/${orgSlug}/datanets`} className="text-sm font-medium text-brand-700 hover:text-brand-800">
        <span aria-hidden="true">← </span>Datanets
      </Link>
      <div className="mt-2 flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight break-words text-gray-900">{d.name}</h1>
          {d.summary && <p className="mt-1 max-w-2xl text-sm text-gray-600">{d.summary}</p>}
        </div>
      </div>
      <ul className="mt-3 flex flex-wrap gap-2" aria-label="About this Datanet">
        <li><Badge variant={d.status === "active" ? "success" : "warning"}>{d.status === "active" ? "Live" : "Draft"}</Badge></li>
        <li><Badge variant={d.visibility === "public" ? "brand" : "neutral"}>{d.visibility === "public" ? "Public" : "Private"}</Badge></li>
        <li><Badge>{formatLabels[d.recordFormat] ?? d.recordFormat} format</Badge></li>
        <li><Badge>{licenseLabel(d.license)}</Badge></li>
      </ul>
      <dl aria-label="Datanet figures" className="mt-5 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
        <Stat label="Accepted records" value={show(stats.data?.records)} />
        <Stat label="Tokens" value={show(stats.data?.tokens, formatCompact)} title={stats.data ? `${formatCount(stats.data.tokens)} tokens (estimated)` : undefined} />
        <Stat label="Contributors" value={show(stats.data?.contributors)} />
        <Stat label="Versions" value={show(versions.data?.length)} />
        <Stat label="Pending review" value={show(pending.data?.total)} />
      </dl>
    </div>
  );
}
