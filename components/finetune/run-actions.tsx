"use client";
// Cancel (after a confirmation) while a run is queued or running; Retry once it failed or was cancelled.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button, ConfirmDialog, useToast } from "@/components/ui";
import type { Run } from "./types";

export function RunActions({ orgSlug, run }: { orgSlug: string; run: Pick<Run, "id" | "status" | "modelName"> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [confirming, setConfirming] = useState(false);
  const input = { orgSlug, runId: run.id };
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.finetune.pathKey() });
  const cancel = useMutation(trpc.finetune.cancel.mutationOptions({ onSuccess: refresh }));
  const retry = useMutation(
    trpc.finetune.retry.mutationOptions({
      onSuccess: async () => {
        toast({ title: "Queued again", description: "A worker picks it up from its last checkpoint, if it saved one.", variant: "success" });
        await refresh();
      },
      onError: (error) => toast({ title: "Not retried", description: serverErrors(error).message, variant: "error" }),
    }),
  );

  if (run.status === "queued" || run.status === "running" || run.status === "validating") {
    return (
      <>
        <Button variant="secondary" onClick={() => setConfirming(true)}>Cancel</Button>
        <ConfirmDialog
          open={confirming}
          onClose={() => setConfirming(false)}
          title="Cancel this fine-tune?"
          description={
            run.status === "running"
              ? `The worker stops training ${run.modelName} at its next heartbeat, and no version is made. You can retry later; it resumes from the last checkpoint.`
              : `The run leaves the queue and no version of ${run.modelName} is made. You can retry later.`
          }
          cancelLabel="Keep it"
          confirmLabel="Cancel fine-tune"
          onConfirm={async () => {
            try {
              await cancel.mutateAsync(input);
            } catch (error) {
              throw new Error(serverErrors(error).message);
            }
          }}
        />
      </>
    );
  }
  if (run.status === "failed" || run.status === "cancelled") {
    return <Button loading={retry.isPending} onClick={() => retry.mutate(input)}>Retry</Button>;
  }
  return null;
}
