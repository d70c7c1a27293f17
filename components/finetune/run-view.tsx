"use client";
// The run page: live status, progress, loss curve, event log and settings of one fine-tune,
// polled every 2 s until it ends.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { formatCount, formatDateTime } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { PageHeader } from "@/components/page-header";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Card, CardBody, CardHeader, EmptyState, Spinner, buttonClasses } from "@/components/ui";
import { EventLog } from "./event-log";
import { elapsed, formatRate, isActive, templateLabels } from "./format";
import { LossChart } from "./loss-chart";
import { RunActions } from "./run-actions";
import { RunProgress } from "./run-progress";
import { RunStatusBadge } from "./run-status-badge";
import type { Run } from "./types";
import { useRunEvents } from "./use-run-events";

const POLL_MS = 2000;

function StatusLine({ orgSlug, run, baseName, available }: { orgSlug: string; run: Run; baseName: string; available: boolean | undefined }) {
  const models = `/${orgSlug}/models/${run.modelSlug}`;
  if (run.status === "queued" && available === false) {
    return (
      <p className="rounded-control border border-warning-200 bg-warning-50 px-3 py-2 text-sm text-warning-800">
        Waiting for a worker that can load {baseName}. The run starts as soon as one connects:{" "}
        <Link href={`/${orgSlug}/workers`} className="font-medium underline">see Workers</Link>.
      </p>
    );
  }
  const lines: Record<Run["status"], ReactNode> = {
    validating: "Checking the Datanet snapshots before queueing.",
    queued: `Queued: a worker that can load ${baseName} picks it up next.`,
    running: "Training on a worker. This page updates by itself.",
    succeeded: (
      <>
        Finished{run.startedAt && run.finishedAt ? ` in ${elapsed((new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime()) / 1000)}` : ""}.{" "}
        {run.versionNumber !== null && (
          <Link href={`${models}?version=${run.versionNumber}`} className="font-medium text-brand-800 underline">
            Open version {run.versionNumber} to compare its answers with the base model
          </Link>
        )}
      </>
    ),
    failed: "This run failed. Read the error and the log below, then retry, or change the settings and launch again.",
    cancelled: "This run was cancelled. Retry resumes from its last checkpoint, if it saved one.",
  };
  return <p className="text-sm text-gray-700">{lines[run.status]}</p>;
}

function Settings({ orgSlug, run }: { orgSlug: string; run: Run }) {
  const hp = run.hyperparameters;
  const rows: [string, ReactNode][] = [
    [
      "Data",
      <ul key="data" className="space-y-0.5">
        {run.datasets.map((d) => (
          <li key={d.versionId}>
            {d.own ? <Link href={`/${orgSlug}/datanets/${d.datanetSlug}/versions`} className="text-brand-800 hover:underline">{d.datanetName}</Link> : d.datanetName} v{d.number}
          </li>
        ))}
      </ul>,
    ],
    ["Examples", `${formatCount(run.exampleCount)} (${formatCount(run.tokenCount)} tokens)`],
    ["Task", templateLabels[run.taskTemplate] ?? run.taskTemplate],
    ["Epochs", hp.epochs],
    ["Learning rate", formatRate(hp.learningRate)],
    ["Batch size", hp.batchSize],
    ["Max length", `${hp.maxLength} tokens`],
    ["LoRA", `rank ${hp.loraRank}, alpha ${hp.loraAlpha}, dropout ${hp.loraDropout}`],
    ["Target modules", hp.targetModules.join(", ")],
    ["Held out for eval", `${Math.round(hp.evalFraction * 100)}%`],
    ["Other", [hp.gradientCheckpointing && "gradient checkpointing", hp.packing && "packing", `seed ${hp.seed}`].filter(Boolean).join(", ")],
  ];
  return (
    <dl className="grid grid-cols-[8.5rem_1fr] gap-x-4 gap-y-2 text-sm">
      {rows.map(([term, value]) => (
        <div key={term} className="contents">
          <dt className="text-gray-600">{term}</dt>
          <dd className="min-w-0 break-words text-gray-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function RunView({ orgSlug, runId, canChange }: { orgSlug: string; runId: string; canChange: boolean }) {
  const trpc = useTRPC();
  const run = useQuery({
    ...trpc.finetune.run.queryOptions({ orgSlug, runId }),
    refetchInterval: (query) => (isActive(query.state.data?.status) ? POLL_MS : false),
  });
  const status = run.data?.status;
  const catalog = useQuery({ ...trpc.finetune.catalog.queryOptions({ orgSlug }), refetchInterval: status === "queued" ? 5000 : false });
  const { events, error: eventsError } = useRunEvents(orgSlug, runId, status);

  if (run.isError && !run.data) {
    return (
      <EmptyState
        titleAs="h1"
        title="This run cannot be shown"
        description={serverErrors(run.error).message}
        action={<Link href={`/${orgSlug}/models`} className={buttonClasses()}>Back to Models</Link>}
      />
    );
  }
  if (!run.data) return <p className="flex items-center gap-2 text-sm text-gray-600"><Spinner /> Loading the run…</p>;

  const data = run.data;
  const base = catalog.data?.find((m) => m.id === data.baseModel);
  const baseName = base?.name ?? data.baseModel;
  return (
    <>
      <PageHeader
        title={data.versionNumber !== null ? `${data.modelName} v${data.versionNumber}` : `Training ${data.modelName}`}
        description={
          <>
            Fine-tune of <strong>{baseName}</strong>, launched {formatDateTime(data.createdAt)}.{" "}
            <Link href={`/${orgSlug}/models/${data.modelSlug}`} className="text-brand-800 hover:underline">All versions of {data.modelName}</Link>
          </>
        }
        actions={canChange && <RunActions orgSlug={orgSlug} run={data} />}
      />
      <div className="space-y-6">
        <Card>
          <CardHeader
            title="Progress"
            actions={
              <>
                {data.attempts > 1 && <Badge>attempt {data.attempts} of {data.maxAttempts}</Badge>}
                <RunStatusBadge status={data.status} live />
              </>
            }
          />
          <CardBody className="space-y-4">
            <StatusLine orgSlug={orgSlug} run={data} baseName={baseName} available={base?.available} />
            {data.error && <FormAlert message={data.error} />}
            <RunProgress progress={data.progress} status={data.status} plannedSteps={data.estimate.steps} />
            <p className="text-sm text-gray-600">Plan at launch: {data.estimate.summary}</p>
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Loss" description="Lower is better. Eval loss is measured on held-out examples: if it rises while train loss falls, the model is memorizing." />
          <CardBody><LossChart events={events} /></CardBody>
        </Card>
        <div className="grid items-start gap-6 lg:grid-cols-5">
          <Card className="min-w-0 lg:col-span-3">
            <CardHeader title="Log" description="Newest at the bottom. Times are UTC." />
            <CardBody className="space-y-3">
              <FormAlert message={eventsError} />
              <EventLog events={events} />
            </CardBody>
          </Card>
          <Card className="min-w-0 lg:col-span-2">
            <CardHeader title="Settings" />
            <CardBody><Settings orgSlug={orgSlug} run={data} /></CardBody>
          </Card>
        </div>
      </div>
    </>
  );
}
