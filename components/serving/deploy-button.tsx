"use client";
// A model version's deployment strip: its deployments with their status, and Deploy, which asks
// for the name API callers will pass as `model` (a default from the model and version) and then
// follows the new deployment. Disabled, with the reason, while no online worker serves the base model.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Dialog, Input } from "@/components/ui";
import { DeploymentStatusBadge, type DeploymentRow } from "./deployment-status";

type Props = {
  orgSlug: string;
  modelSlug: string;
  versionNumber: number;
  baseName: string;
  /** Online serving workers with the base model; undefined while loading. */
  servingWorkers: number | undefined;
  /** This version's live deployments. */
  deployments: Pick<DeploymentRow, "id" | "name" | "status">[];
  canDeploy: boolean;
};

export function DeployButton({ orgSlug, modelSlug, versionNumber, baseName, servingWorkers, deployments, canDeploy }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(`${modelSlug}-v${versionNumber}`.slice(0, 64));
  const [problem, setProblem] = useState<string | null>(null);
  const deploy = useMutation(trpc.deployments.deploy.mutationOptions());
  const noWorker = servingWorkers === 0;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    try {
      const created = await deploy.mutateAsync({ orgSlug, modelSlug, versionNumber, name: name.trim() });
      await queryClient.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
      router.push(`/${orgSlug}/deployments/${encodeURIComponent(created.name)}`);
    } catch (error) {
      setProblem(serverErrors(error).message);
    }
  }

  return (
    <div className="flex flex-wrap items-center justify-between gap-3 border-b border-gray-200 px-4 py-3 sm:px-6">
      <div className="min-w-0 space-y-1 text-sm text-gray-600">
        {deployments.length === 0 ? (
          <p>Not deployed. Deploy it to call it through the OpenAI-compatible API.</p>
        ) : (
          <ul aria-label="Deployments of this version" className="flex flex-wrap gap-x-4 gap-y-1">
            {deployments.map((d) => (
              <li key={d.id}>
                <Link href={`/${orgSlug}/deployments/${encodeURIComponent(d.name)}`} className="inline-flex items-center gap-1.5 font-medium text-brand-800 hover:underline">
                  <DeploymentStatusBadge status={d.status} />
                  <span className="font-mono text-xs [overflow-wrap:anywhere]">{d.name}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
        {canDeploy && noWorker && (
          <p id="deploy-reason" className="text-xs text-warning-800">
            No online worker serves {baseName}. Start one with <code className="font-mono">--serve</code> (<Link href={`/${orgSlug}/workers`} className="underline">Workers</Link>), then deploy.
          </p>
        )}
      </div>
      {canDeploy && (
        <Button size="sm" variant={deployments.length ? "secondary" : "primary"} disabled={noWorker || servingWorkers === undefined} aria-describedby={noWorker ? "deploy-reason" : undefined} onClick={() => setOpen(true)}>
          {deployments.length ? "New deployment" : "Deploy"}
        </Button>
      )}
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Deploy version ${versionNumber}`}
        description={`Serve this adapter on the ${baseName} workers. Apps call it through the OpenAI-compatible API with this name as model.`}
        footer={
          <>
            <Button variant="secondary" onClick={() => setOpen(false)}>Cancel</Button>
            <Button type="submit" form="deploy-form" loading={deploy.isPending}>Deploy</Button>
          </>
        }
      >
        <form id="deploy-form" onSubmit={submit} noValidate className="space-y-3">
          <Input
            label="Name (the model callers pass)"
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            hint="Lowercase letters, digits, '-', '.' and '_'; unique in this organization."
            error={problem?.startsWith("name:") ? problem.slice(5).trim() : undefined}
          />
          <FormAlert message={problem && !problem.startsWith("name:") ? problem : null} />
        </form>
      </Dialog>
    </div>
  );
}
