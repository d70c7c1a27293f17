"use client";
// A model's calls in the chain outbox (chain.modelCommits): each version's registration and each
// epoch's commit and funding while they are queued, sent or failed, with the reason in words, and
// the Retry of a failed one for the org's owners and admins (chain.retryModelCommit: the same rows
// go back to the queue, with what they wait on). Read again every few seconds while one is on its way.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CommitStatus, type Commit } from "@/components/chain/commit-status";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button, useToast } from "@/components/ui";

const REFRESH_MS = 3_000;

/** Which call: a version's registration (epoch null) or an epoch's commit and funding. */
export interface CallRef {
  version: number;
  epoch: number | null;
}

export function useModelChainCalls({ orgSlug, modelSlug, enabled }: { orgSlug: string; modelSlug: string; enabled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const calls = useQuery({
    ...trpc.chain.modelCommits.queryOptions({ orgSlug, modelSlug }),
    enabled,
    refetchInterval: (query) => {
      const data = query.state.data;
      const open = [...(data?.registrations ?? []), ...(data?.epochs ?? []).flatMap((e) => [e.commit, ...(e.funding ? [e.funding] : [])])];
      return open.some((c) => c.status === "pending" || c.status === "sent") ? REFRESH_MS : false;
    },
  });
  const retry = useMutation(
    trpc.chain.retryModelCommit.mutationOptions({
      onSuccess: async (_, { epoch }) => {
        toast({ title: epoch === null ? "Registration queued again" : "Epoch commit queued again", variant: "success", description: "It is sent with the chain's current settings and roles, after what it waits on." });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.chain.modelCommits.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.chain.status.queryKey() }),
        ]);
      },
      onError: (error) => toast({ title: "Not queued", description: serverErrors(error).message, variant: "error" }),
    }),
  );
  return {
    registrations: calls.data?.registrations ?? [],
    epochs: calls.data?.epochs ?? [],
    retry: (ref: CallRef) => retry.mutate({ orgSlug, modelSlug, ...ref }),
    retrying: (ref: CallRef) => retry.isPending && retry.variables?.version === ref.version && retry.variables.epoch === ref.epoch,
  };
}

export type ModelChainCalls = ReturnType<typeof useModelChainCalls>;

/** One outbox call's state, and its Retry when it failed and the viewer may retry. */
export function ChainCall({ commit, subject, failedLabel, calls, callRef, canRetry }: { commit: Commit; subject: string; failedLabel?: string; calls: ModelChainCalls; callRef: CallRef; canRetry: boolean }) {
  return (
    <span className="flex min-w-0 flex-wrap items-start gap-2">
      <CommitStatus commit={commit} subject={subject} failedLabel={failedLabel} />
      {commit.status === "failed" && canRetry && (
        <Button size="sm" variant="secondary" loading={calls.retrying(callRef)} onClick={() => calls.retry(callRef)}>
          Retry<span className="sr-only"> {subject}</span>
        </Button>
      )}
    </span>
  );
}
