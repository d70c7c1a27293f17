"use client";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui";

export function AcceptInviteButton({ token, orgName }: { token: string; orgName: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const accept = useMutation(
    trpc.invites.accept.mutationOptions({
      onSuccess: ({ orgSlug }) => {
        router.replace(`/${orgSlug}`);
        router.refresh();
      },
    }),
  );
  return (
    <div className="space-y-3">
      <Button className="w-full" loading={accept.isPending} onClick={() => accept.mutate({ token })}>
        Join {orgName}
      </Button>
      <FormAlert message={accept.error ? serverErrors(accept.error).message : null} />
    </div>
  );
}
