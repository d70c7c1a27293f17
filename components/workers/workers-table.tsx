"use client";
// The workers that serve this org, refreshed every 10 s: online or not, hardware, the models
// they can load, and what they are doing.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState, type ReactNode } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { ago } from "@/components/finetune/format";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Table, TBody, TD, TH, THead, TR, cn } from "@/components/ui";

const POLL_MS = 10_000;

/** Re-renders every 10 s, so "last seen" stays true between polls. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), POLL_MS);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function WorkersTable({ orgSlug, empty }: { orgSlug: string; empty: ReactNode }) {
  const trpc = useTRPC();
  const workers = useQuery({ ...trpc.workers.list.queryOptions({ orgSlug }), refetchInterval: POLL_MS });
  const catalog = useQuery(trpc.finetune.catalog.queryOptions({ orgSlug }));
  const busy = workers.data?.some((w) => w.jobId) ?? false;
  const runs = useQuery({ ...trpc.finetune.runs.queryOptions({ orgSlug }), enabled: busy });
  const now = useNow();

  if (workers.error) return <FormAlert message={serverErrors(workers.error).message} />;
  if (!workers.data) return null;
  if (workers.data.length === 0) return <>{empty}</>;

  const modelName = (id: string) => catalog.data?.find((m) => m.id === id)?.name ?? id;
  return (
    <Table caption="Workers">
      <THead>
        <TR>
          <TH>Worker</TH>
          <TH>Status</TH>
          <TH>Device</TH>
          <TH>Memory</TH>
          <TH>Models it can load</TH>
          <TH>Version</TH>
          <TH>Last seen</TH>
          <TH>Doing</TH>
        </TR>
      </THead>
      <TBody>
        {workers.data.map((w) => {
          const run = w.jobId ? runs.data?.find((r) => r.jobId === w.jobId) : undefined;
          return (
            <TR key={w.id}>
              <TD>
                <span className="font-medium text-gray-900">{w.name}</span>
                <span className="block text-xs text-gray-600">{w.platform ? "Shared platform worker" : `token “${w.tokenName}”`}</span>
                {w.capabilities.serving && <span className="block text-xs text-gray-600">Serves deployments of {modelName(w.capabilities.serving.baseModel)}</span>}
              </TD>
              <TD>
                <span className="flex items-center gap-2">
                  <span aria-hidden="true" className={cn("size-2.5 rounded-full", w.online ? "bg-success-600" : "bg-gray-400")} />
                  {w.online ? "Online" : "Offline"}
                </span>
              </TD>
              <TD>{w.capabilities.device === "cpu" ? "CPU" : (w.capabilities.gpuName ?? w.capabilities.device.toUpperCase())}</TD>
              <TD className="tabular-nums">{w.capabilities.gpuMemoryGb > 0 ? `${w.capabilities.gpuMemoryGb} GB` : "—"}</TD>
              <TD className="max-w-72 whitespace-normal!">
                <span className="flex flex-wrap gap-1">
                  {w.capabilities.models.map((m) => <Badge key={m}>{modelName(m)}</Badge>)}
                </span>
              </TD>
              <TD className="font-mono text-xs">{w.version}</TD>
              <TD suppressHydrationWarning>{ago(w.lastSeenAt, now)}</TD>
              <TD>
                {!w.busy ? (
                  <span className="text-gray-600">Idle</span>
                ) : run ? (
                  <Link href={`/${orgSlug}/models/${run.modelSlug}/runs/${run.id}`} className="font-medium text-brand-800 hover:underline">
                    Training {run.modelName}
                  </Link>
                ) : (
                  <span>{w.jobId ? "Answering a playground question" : "Busy with another organization’s job"}</span>
                )}
              </TD>
            </TR>
          );
        })}
      </TBody>
    </Table>
  );
}
