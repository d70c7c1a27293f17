"use client";
// The Deployments page: every deployment with its status (the reason when it failed), model
// version, base model and age; stop one, or deploy a failed or stopped one again. Polls while
// one is pending or loading.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDate } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, ConfirmDialog, EmptyState, Table, TBody, TD, TH, THead, TR, buttonClasses, useToast } from "@/components/ui";
import { DeploymentStatusBadge, isSettling, type DeploymentRow } from "./deployment-status";

/** Stop (with a confirmation) or deploy again, as the deployment's state allows. */
export function DeploymentActions({ orgSlug, deployment }: { orgSlug: string; deployment: DeploymentRow }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [confirming, setConfirming] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
  const stop = useMutation(trpc.deployments.stop.mutationOptions({ onSuccess: refresh }));
  const redeploy = useMutation(
    trpc.deployments.redeploy.mutationOptions({
      onSuccess: refresh,
      onError: (error) => toast({ title: "Could not deploy again", description: serverErrors(error).message, variant: "error" }),
    }),
  );
  const again = deployment.status === "failed" || deployment.status === "stopped";
  return (
    <div className="flex flex-wrap gap-2">
      {again && (
        <Button size="sm" variant="secondary" loading={redeploy.isPending} onClick={() => redeploy.mutate({ orgSlug, deploymentId: deployment.id })} aria-label={`Deploy ${deployment.name} again`}>
          Deploy again
        </Button>
      )}
      {deployment.status !== "stopped" && (
        <Button size="sm" variant="secondary" onClick={() => setConfirming(true)} aria-label={`Stop ${deployment.name}`}>
          Stop
        </Button>
      )}
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title={`Stop ${deployment.name}?`}
        description={`Calls naming “${deployment.name}” get 404 from now on, and the workers unload its adapter. You can deploy it again under the same name; API keys scoped to it keep their scope.`}
        confirmLabel="Stop deployment"
        cancelLabel="Keep serving"
        onConfirm={() => stop.mutateAsync({ orgSlug, deploymentId: deployment.id })}
      />
    </div>
  );
}

export function DeploymentsTable({ orgSlug, canManage }: { orgSlug: string; canManage: boolean }) {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.deployments.list.queryOptions({ orgSlug }),
    refetchInterval: (query) => (query.state.data?.some((d) => isSettling(d.status)) ? 2000 : 15_000),
  });
  if (list.error) return <FormAlert message={serverErrors(list.error).message} />;
  if (!list.data) return null;
  if (list.data.length === 0) {
    return (
      <EmptyState
        title="Nothing deployed yet"
        description="Deploy a model version from its model page: it is served on the workers that hold its base model, and apps call it through the OpenAI-compatible API under the name you give it."
        action={<Link href={`/${orgSlug}/models`} className={buttonClasses()}>Go to Models</Link>}
      />
    );
  }
  return (
    <Table caption="Deployments">
      <THead>
        <TR>
          <TH>Name (model)</TH>
          <TH>Status</TH>
          <TH>Model version</TH>
          <TH>Base model</TH>
          <TH>Created</TH>
          {canManage && <TH><span className="sr-only">Actions</span></TH>}
        </TR>
      </THead>
      <TBody>
        {list.data.map((d) => (
          <TR key={d.id}>
            <TD>
              <Link href={`/${orgSlug}/deployments/${encodeURIComponent(d.name)}`} className="font-mono text-sm font-medium text-brand-800 hover:underline">{d.name}</Link>
            </TD>
            <TD className="max-w-80 min-w-56 whitespace-normal!">
              <DeploymentStatusBadge status={d.status} />
              {d.status === "failed" && d.statusMessage && <span className="mt-1 block text-xs text-danger-800">{d.statusMessage}</span>}
              {d.status === "ready" && d.servingWorkers === 0 && <span className="mt-1 block text-xs text-warning-800">No worker serving {d.baseModel} is online: calls get 503.</span>}
            </TD>
            <TD>
              <Link href={`/${orgSlug}/models/${d.modelSlug}?version=${d.versionNumber}`} className="text-brand-800 hover:underline">{d.modelName} v{d.versionNumber}</Link>
            </TD>
            <TD className="font-mono text-xs">{d.baseModel}</TD>
            <TD>{formatDate(d.createdAt)}</TD>
            {canManage && <TD><DeploymentActions orgSlug={orgSlug} deployment={d} /></TD>}
          </TR>
        ))}
      </TBody>
    </Table>
  );
}
