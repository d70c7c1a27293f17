"use client";
// Leave an organization (anyone but its last owner) or delete it (owners, not personal workspaces).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, CardBody, CardHeader, Dialog, Input } from "@/components/ui";

interface Org {
  slug: string;
  name: string;
  role: string;
  personal: boolean;
}

export function OrgDangerZone({ org }: { org: Org }) {
  const trpc = useTRPC();
  const router = useRouter();
  const leave = useMutation(trpc.orgs.leave.mutationOptions());
  const remove = useMutation(trpc.orgs.delete.mutationOptions());
  const [confirming, setConfirming] = useState<"leave" | "delete" | null>(null);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function run(action: "leave" | "delete") {
    setError(null);
    try {
      await (action === "leave" ? leave : remove).mutateAsync({ orgSlug: org.slug });
      router.replace("/");
      router.refresh();
    } catch (cause) {
      setError(serverErrors(cause).message);
    }
  }

  const canDelete = org.role === "owner" && !org.personal;
  return (
    <Card className="border-danger-200">
      <CardHeader title="Leave or delete" />
      <CardBody className="space-y-4">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-gray-700">Leave {org.name}. You will need a new invite to come back.</p>
          <Button variant="secondary" onClick={() => setConfirming("leave")}>Leave organization</Button>
        </div>
        {canDelete && (
          <div className="flex flex-wrap items-center justify-between gap-3 border-t border-gray-200 pt-4">
            <p className="text-sm text-gray-700">Delete {org.name} and everything in it, for every member. This cannot be undone.</p>
            <Button variant="danger" onClick={() => setConfirming("delete")}>Delete organization</Button>
          </div>
        )}
      </CardBody>
      <Dialog
        open={confirming !== null}
        onClose={() => { setConfirming(null); setTyped(""); setError(null); }}
        title={confirming === "delete" ? `Delete ${org.name}?` : `Leave ${org.name}?`}
        description={confirming === "delete" ? `Type ${org.slug} to confirm.` : "You lose access to its Datanets, models and deployments."}
        footer={
          <>
            <Button variant="secondary" onClick={() => setConfirming(null)}>Cancel</Button>
            <Button
              variant="danger"
              loading={leave.isPending || remove.isPending}
              disabled={confirming === "delete" && typed !== org.slug}
              onClick={() => confirming && run(confirming)}
            >
              {confirming === "delete" ? "Delete forever" : "Leave"}
            </Button>
          </>
        }
      >
        <div className="space-y-3">
          {confirming === "delete" && <Input label="Organization address" value={typed} onChange={(e) => setTyped(e.target.value)} />}
          <FormAlert message={error} />
        </div>
      </Dialog>
    </Card>
  );
}
