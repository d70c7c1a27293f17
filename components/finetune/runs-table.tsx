"use client";
// Runs with their status and progress, newest first, each linking to its run page.
import Link from "next/link";
import { formatDateTime } from "@/components/datanets/detail/format";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { formatLoss, isActive } from "./format";
import { RunProgress } from "./run-progress";
import { RunStatusBadge } from "./run-status-badge";
import type { RunRow } from "./types";

export function RunsTable({ orgSlug, runs, caption, showModel = true }: { orgSlug: string; runs: RunRow[]; caption: string; showModel?: boolean }) {
  return (
    <Table caption={caption}>
      <THead>
        <TR>
          <TH>Run</TH>
          {showModel && <TH>Model</TH>}
          <TH>Status</TH>
          <TH>Progress</TH>
          <TH>Train loss</TH>
          <TH>Launched</TH>
        </TR>
      </THead>
      <TBody>
        {runs.map((run) => (
          <TR key={run.id}>
            <TD className="font-medium">
              <Link href={`/${orgSlug}/models/${run.modelSlug}/runs/${run.id}`} className="text-brand-800 hover:underline">
                {run.versionNumber !== null ? `v${run.versionNumber}` : isActive(run.status) ? "Training" : "No version"}
                <span className="sr-only"> of {run.modelName}, launched {formatDateTime(run.createdAt)}</span>
              </Link>
            </TD>
            {showModel && <TD className="text-gray-900">{run.modelName}</TD>}
            <TD><RunStatusBadge status={run.status} /></TD>
            <TD><RunProgress compact progress={run.progress} status={run.status} plannedSteps={run.estimate.steps} /></TD>
            <TD className="tabular-nums">{formatLoss(run.metrics?.trainLoss ?? run.progress?.loss)}</TD>
            <TD>{formatDateTime(run.createdAt)}</TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}
