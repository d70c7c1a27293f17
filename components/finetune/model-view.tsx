"use client";
// A model page: its versions with their scores, the eval report of the selected one, its
// runs, and the playground. Polls while a run of the model is under way.
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDate, plural } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { PageHeader } from "@/components/page-header";
import { useTRPC } from "@/components/trpc/client";
import { DeployButton } from "@/components/serving/deploy-button";
import type { DeploymentRow } from "@/components/serving/deployment-status";
import { Button, Card, CardBody, CardHeader, EmptyState, Table, TBody, TD, TH, THead, TR, buttonClasses, cn, useToast } from "@/components/ui";
import { EvalReport } from "./eval-report";
import { formatLoss, formatPerplexity, isActive, settingsSummary, templateLabels } from "./format";
import { Playground } from "./playground";
import { RunsTable } from "./runs-table";
import type { RunRow } from "./types";

type Props = { orgSlug: string; modelSlug: string; selected: number | null; canTrain: boolean };

function BaseVsTuned({ base, tuned, format = formatLoss }: { base: number | null | undefined; tuned: number | null | undefined; format?: (v: number | null | undefined) => string }) {
  return (
    <span className="tabular-nums">
      {format(base)} → <strong className="text-gray-900">{format(tuned)}</strong>
    </span>
  );
}

function VersionsTable({ href, versions, current }: { href: (v: number) => string; versions: RunRow[]; current: number | undefined }) {
  return (
    <Table caption="Versions">
      <THead>
        <TR>
          <TH>Version</TH>
          <TH>Trained</TH>
          <TH>Settings</TH>
          <TH>Train loss</TH>
          <TH>Eval loss</TH>
          <TH>Perplexity</TH>
        </TR>
      </THead>
      <TBody>
        {versions.map((v) => {
          const n = v.versionNumber!;
          const selected = n === current;
          return (
            <TR key={v.id} className={cn(selected && "bg-brand-50")}>
              <TD className="font-medium">
                <Link href={href(n)} scroll={false} aria-current={selected ? "true" : undefined} className="text-brand-800 hover:underline">v{n}</Link>
              </TD>
              <TD>{formatDate(v.finishedAt ?? v.createdAt)}</TD>
              <TD className="min-w-56 text-xs whitespace-normal!">{templateLabels[v.taskTemplate]} · {settingsSummary(v.hyperparameters)}</TD>
              <TD className="tabular-nums">{formatLoss(v.metrics?.trainLoss)}</TD>
              <TD><BaseVsTuned base={v.evalReport?.baseLoss} tuned={v.evalReport?.tunedLoss} /></TD>
              <TD><BaseVsTuned base={v.evalReport?.basePerplexity} tuned={v.evalReport?.tunedPerplexity} format={formatPerplexity} /></TD>
            </TR>
          );
        })}
      </TBody>
    </Table>
  );
}

/** The version's PEFT adapter files, for use in peft, vLLM or LoRAX. */
function AdapterDownloads({ orgSlug, runId }: { orgSlug: string; runId: string }) {
  const trpc = useTRPC();
  const { toast } = useToast();
  const download = useMutation(
    trpc.finetune.adapterUrl.mutationOptions({
      onSuccess: ({ url }) => window.location.assign(url),
      onError: (error) => toast({ title: "Download failed", description: serverErrors(error).message, variant: "error" }),
    }),
  );
  return (["adapter_config.json", "adapter_model.safetensors"] as const).map((file) => (
    <Button key={file} variant="secondary" size="sm" aria-label={`Download ${file}`} loading={download.isPending && download.variables?.file === file} onClick={() => download.mutate({ orgSlug, runId, file })}>
      {file}
    </Button>
  ));
}

type Deploying = { baseName: string; servingWorkers: number | undefined; deployments: Pick<DeploymentRow, "id" | "name" | "status">[]; canDeploy: boolean };

function VersionDetail({ orgSlug, version, deploying }: { orgSlug: string; version: RunRow; deploying: Deploying }) {
  const trpc = useTRPC();
  // The run row carries the Datanet versions it trained on.
  const run = useQuery(trpc.finetune.run.queryOptions({ orgSlug, runId: version.id }));
  return (
    <Card>
      <CardHeader
        title={`Version ${version.versionNumber}`}
        actions={<AdapterDownloads orgSlug={orgSlug} runId={version.id} />}
        description={
          <>
            Trained on{" "}
            {run.data
              ? run.data.datasets.map((d, i) => (
                  <span key={d.versionId}>{i > 0 && ", "}{d.datanetName} v{d.number}</span>
                ))
              : "…"}
            . <Link href={`/${orgSlug}/models/${version.modelSlug}/runs/${version.id}`} className="text-brand-800 hover:underline">Training run and loss curve</Link>
          </>
        }
      />
      <DeployButton orgSlug={orgSlug} modelSlug={version.modelSlug} versionNumber={version.versionNumber!} {...deploying} />
      <CardBody>
        {version.evalReport ? <EvalReport report={version.evalReport} /> : <p className="text-sm text-gray-600">This version has no evaluation report.</p>}
      </CardBody>
    </Card>
  );
}

export function ModelView({ orgSlug, modelSlug, selected, canTrain }: Props) {
  const trpc = useTRPC();
  const model = useQuery({
    ...trpc.finetune.model.queryOptions({ orgSlug, modelSlug }),
    refetchInterval: (query) => (query.state.data?.runs.some((r) => isActive(r.status)) ? 3000 : false),
  });
  const catalog = useQuery(trpc.finetune.catalog.queryOptions({ orgSlug }));
  const serving = useQuery({
    ...trpc.deployments.forModel.queryOptions({ orgSlug, modelSlug }),
    refetchInterval: (query) => (query.state.data?.deployments.some((d) => d.status === "pending" || d.status === "loading") ? 2000 : 15_000),
  });

  if (model.isError && !model.data) {
    return (
      <EmptyState
        titleAs="h1"
        title={`No model “${modelSlug}”`}
        description={serverErrors(model.error).message}
        action={<Link href={`/${orgSlug}/models`} className={buttonClasses()}>Back to Models</Link>}
      />
    );
  }
  if (!model.data) return null;

  const data = model.data;
  const base = `/${orgSlug}/models/${data.slug}`;
  const baseName = data.base?.name ?? data.baseModel;
  const versions = data.runs.filter((r) => r.versionNumber !== null).sort((a, b) => b.versionNumber! - a.versionNumber!);
  const current = versions.find((v) => v.versionNumber === selected) ?? versions[0];
  const available = catalog.data?.find((m) => m.id === data.baseModel)?.available;
  const versionDeployments = (v: RunRow | undefined) => (serving.data?.deployments ?? []).filter((d) => d.fineTuneId === v?.id);
  // The playground goes through the gateway when the version is deployed and ready.
  const deployed = versionDeployments(current).find((d) => d.status === "ready");

  return (
    <>
      <PageHeader
        title={data.name}
        description={<>LoRA adapter on <strong>{baseName}</strong> · {plural(versions.length, "version")} · created {formatDate(data.createdAt)}</>}
        actions={
          <>
            <Link href={`/${orgSlug}/attribution/models/${data.slug}`} className={buttonClasses("secondary")}>Attribution</Link>
            {canTrain && <Link href={`/${orgSlug}/models/new?model=${encodeURIComponent(data.slug)}`} className={buttonClasses()}>Train a new version</Link>}
          </>
        }
      />
      <div className="space-y-6">
        <Card>
          <CardHeader title="Versions" description="Each finished run. Eval loss and perplexity read base model → tuned; lower is better. Pick a version to see its evaluation and try it in the playground." />
          {versions.length > 0 ? (
            <div className="p-2 sm:p-4"><VersionsTable href={(n) => `${base}?version=${n}`} versions={versions} current={current?.versionNumber ?? undefined} /></div>
          ) : (
            <CardBody>
              <EmptyState title="No versions yet" description="A version appears here when a run finishes. Follow the run below for its progress." />
            </CardBody>
          )}
        </Card>
        {selected !== null && current && current.versionNumber !== selected && (
          <FormAlert message={`${data.name} has no version ${selected}; showing version ${current.versionNumber}.`} />
        )}
        {current && (
          <VersionDetail
            orgSlug={orgSlug}
            version={current}
            deploying={{ baseName, servingWorkers: serving.data?.servingWorkers, deployments: versionDeployments(current), canDeploy: canTrain }}
          />
        )}
        {current && (
          <Card>
            <CardHeader
              title="Playground"
              description={
                deployed
                  ? `Ask the base model and version ${current.versionNumber} the same question through the gateway (deployment ${deployed.name}), and compare their answers.`
                  : (serving.data?.servingWorkers ?? 0) > 0
                    ? "Ask the base model and a tuned version the same question through the gateway, and compare their answers."
                    : "Ask the base model and a tuned version the same question, and compare their answers."
              }
            />
            <CardBody>
              {canTrain ? (
                <Playground
                  key={`${current.versionNumber}-${deployed?.id ?? "job"}`}
                  deployment={deployed ? { id: deployed.id, name: deployed.name } : null}
                  servingWorkers={serving.data?.servingWorkers}
                  orgSlug={orgSlug}
                  modelSlug={data.slug}
                  versions={versions.map((v) => v.versionNumber!)}
                  defaultVersion={current.versionNumber!}
                  baseName={baseName}
                  available={available}
                />
              ) : (
                <p className="text-sm text-gray-600">Viewers cannot ask questions; members and admins can.</p>
              )}
            </CardBody>
          </Card>
        )}
        <Card>
          <CardHeader title="Runs" description="Every fine-tune of this model, including runs that failed or were cancelled." />
          <div className="p-2 sm:p-4"><RunsTable orgSlug={orgSlug} runs={data.runs} caption={`Runs of ${data.name}`} showModel={false} /></div>
        </Card>
      </div>
    </>
  );
}
