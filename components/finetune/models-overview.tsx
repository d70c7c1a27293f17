"use client";
// The Models page: the org's models with their latest run, and recent runs updating live.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDate, plural } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Card, CardHeader, EmptyState, buttonClasses } from "@/components/ui";
import { isActive } from "./format";
import { RunStatusBadge } from "./run-status-badge";
import { RunsTable } from "./runs-table";

const RECENT_RUNS = 10;

const modelIcon = (
  <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
    <path d="M12 3l8 4.5v9L12 21l-8-4.5v-9L12 3zm0 0v18M4 7.5l8 4.5 8-4.5" />
  </svg>
);

export function ModelsOverview({ orgSlug, canTrain }: { orgSlug: string; canTrain: boolean }) {
  const trpc = useTRPC();
  const models = useQuery(trpc.finetune.models.queryOptions({ orgSlug }));
  const runs = useQuery({
    ...trpc.finetune.runs.queryOptions({ orgSlug }),
    refetchInterval: (query) => (query.state.data?.some((r) => isActive(r.status)) ? 3000 : false),
  });
  const catalog = useQuery(trpc.finetune.catalog.queryOptions({ orgSlug }));
  const datasets = useQuery({ ...trpc.finetune.datasets.queryOptions({ orgSlug }), enabled: models.data?.length === 0 });
  const error = models.error ?? runs.error;
  const wizard = `/${orgSlug}/models/new`;

  if (error) return <FormAlert message={serverErrors(error).message} />;
  if (!models.data || !runs.data) return null;

  if (models.data.length === 0) {
    const noData = datasets.data?.length === 0;
    return (
      <EmptyState
        title={noData ? "No published Datanet version yet" : "No models yet"}
        icon={modelIcon}
        description={
          noData
            ? "A model is fine-tuned on a published Datanet version. Create a Datanet (or find a public one), add records, and publish a version; then come back here."
            : canTrain
              ? "Fine-tune a model from a Datanet version: pick the data, a base model and a task, and Tributary trains a LoRA adapter on a worker. Each finished run becomes a version you can try next to the base model."
              : "No one in this organization has fine-tuned a model yet. Members and admins can start one from a Datanet version."
        }
        action={
          noData ? (
            <Link href={`/${orgSlug}/datanets`} className={buttonClasses()}>Go to Datanets</Link>
          ) : canTrain ? (
            <Link href={wizard} className={buttonClasses()}>Fine-tune a model</Link>
          ) : undefined
        }
      />
    );
  }

  const baseName = (id: string) => catalog.data?.find((m) => m.id === id)?.name ?? id;
  return (
    <div className="space-y-8">
      <ul className="grid gap-3 md:grid-cols-2" aria-label="Models">
        {models.data.map((model) => {
          const last = runs.data.find((r) => r.modelId === model.id);
          return (
            <li key={model.id} className="rounded-card border border-gray-200 bg-white p-4 shadow-sm sm:px-6">
              <div className="flex flex-wrap items-start justify-between gap-2">
                <h2 className="text-base font-semibold text-gray-900">
                  <Link href={`/${orgSlug}/models/${model.slug}`} className="hover:text-brand-800 hover:underline">{model.name}</Link>
                </h2>
                {last && (
                  <span className="flex items-center gap-1.5 text-xs text-gray-600">
                    Last run <RunStatusBadge status={last.status} />
                  </span>
                )}
              </div>
              <p className="mt-1 text-sm text-gray-600">on {baseName(model.baseModel)}</p>
              <div className="mt-3 flex flex-wrap items-center gap-2 text-sm">
                <Badge variant={model.versions > 0 ? "success" : "neutral"}>{plural(model.versions, "version")}</Badge>
                <span className="text-gray-600">{plural(model.runs, "run")} · created {formatDate(model.createdAt)}</span>
              </div>
            </li>
          );
        })}
      </ul>
      <Card>
        <CardHeader as="h2" title="Recent runs" description="Each fine-tune run; a finished one becomes the model's next version." />
        <div className="p-2 sm:p-4">
          <RunsTable orgSlug={orgSlug} runs={runs.data.slice(0, RECENT_RUNS)} caption="Recent runs" />
        </div>
      </Card>
    </div>
  );
}
