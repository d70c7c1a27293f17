"use client";
// Discard a draft Datanet after a confirmation; live Datanets cannot be discarded.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Dialog, useToast } from "@/components/ui";

export function DiscardDraft({ orgSlug, datanet }: { orgSlug: string; datanet: { slug: string; name: string } }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const discard = useMutation(trpc.datanets.discardDraft.mutationOptions());
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setError(null);
    try {
      await discard.mutateAsync({ orgSlug, datanetSlug: datanet.slug });
      queryClient.removeQueries({ queryKey: trpc.datanets.get.queryKey({ orgSlug, datanetSlug: datanet.slug }) });
      await queryClient.invalidateQueries({ queryKey: trpc.datanets.list.queryKey({ orgSlug }) });
      toast({ title: "Draft discarded", description: datanet.name, variant: "success" });
      router.push(`/${orgSlug}/datanets`);
    } catch (cause) {
      setError(serverErrors(cause).message);
    }
  }

  return (
    <>
      <Button variant="ghost" className="text-danger-700 hover:text-danger-800" onClick={() => setOpen(true)}>
        Discard draft
      </Button>
      <Dialog
        open={open}
        onClose={() => {
          setOpen(false);
          setError(null);
        }}
        title={`Discard ${datanet.name}?`}
        description="The draft and everything entered in it are deleted. This cannot be undone."
        footer={
          <>
            <Button variant="secondary" onClick={() => setOpen(false)}>Keep draft</Button>
            <Button variant="danger" loading={discard.isPending} onClick={confirm}>Discard draft</Button>
          </>
        }
      >
        <FormAlert message={error} />
      </Dialog>
    </>
  );
}
