"use client";
// Admins' worker tokens: create one (shown once, with the command that uses it), list them by
// prefix, and revoke one after a confirmation.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState, type FormEvent } from "react";
import { CredentialTable, type CredentialColumn } from "@/components/credentials/credential-table";
import { formatDateTime } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button, Dialog, Input, SecretField } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";
import { ConnectCommand } from "./connect-command";

type Created = { name: string; token: string };

function CreateTokenDialog({ orgSlug, appUrl, open, onClose }: { orgSlug: string; appUrl: string; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const create = useMutation(trpc.workers.createToken.mutationOptions());

  function close() {
    setName("");
    setError(null);
    setCreated(null);
    onClose();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const token = await create.mutateAsync({ orgSlug, name });
      setCreated({ name: token.name, token: token.token });
      await queryClient.invalidateQueries({ queryKey: trpc.workers.tokens.queryKey({ orgSlug }) });
    } catch (cause) {
      setError(serverErrors(cause).fields.name ?? serverErrors(cause).message);
    }
  }

  if (created) {
    return (
      <Dialog open={open} onClose={close} title={`Token “${created.name}” created`} description="Copy it now: it is shown only this once. Only a hash is stored, so it cannot be shown again." footer={<Button onClick={close}>Done</Button>}>
        <div className="space-y-4">
          <SecretField value={created.token} label="Worker token" what="token" />
          <div>
            <p className="mb-2 text-sm font-medium text-gray-900">Run a worker with it</p>
            <ConnectCommand appUrl={appUrl} token={created.token} />
          </div>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog
      open={open}
      onClose={close}
      title="Create a worker token"
      description="A worker uses it to take this organization's jobs. One token per machine or pool makes revoking one easy."
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        <Input label="Name" value={name} maxLength={60} onChange={(e) => setName(e.target.value)} hint="The machine or pool, e.g. “lab-a100-1”." error={error ?? undefined} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={close}>Cancel</Button>
          <Button type="submit" loading={create.isPending}>Create token</Button>
        </div>
      </form>
    </Dialog>
  );
}

type TokenRow = inferRouterOutputs<AppRouter>["workers"]["tokens"][number];

const columns: CredentialColumn<TokenRow>[] = [
  { header: "Name", className: "font-medium text-gray-900", cell: (t) => t.name },
  { header: "Token", className: "font-mono text-xs", cell: (t) => `${t.prefix}…` },
  { header: "Created", cell: (t) => formatDateTime(t.createdAt) },
  { header: "Last used", cell: (t) => (t.lastUsedAt ? formatDateTime(t.lastUsedAt) : <span className="text-gray-600">Never</span>) },
];

export function WorkerTokens({ orgSlug, appUrl }: { orgSlug: string; appUrl: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.workers.tokens.queryOptions({ orgSlug }));
  const revoke = useMutation(trpc.workers.revokeToken.mutationOptions());
  const [creating, setCreating] = useState(false);

  return (
    <CredentialTable
      title="Worker tokens"
      description="Workers sign in with these. Revoking one stops its workers at their next request."
      caption="Worker tokens"
      noun="token"
      rows={tokens}
      columns={columns}
      empty={{ title: "No worker tokens", description: "Create a token, then start a worker with it on a machine with a GPU (or a CPU, for the tiny test model)." }}
      manage={{
        createLabel: "Create token",
        onCreate: () => setCreating(true),
        revokeDescription: "Workers using this token stop at their next request, and a job one is running goes back to the queue. This cannot be undone.",
        revoke: (t) => revoke.mutateAsync({ orgSlug, tokenId: t.id }),
        revoked: () => queryClient.invalidateQueries({ queryKey: trpc.workers.pathKey() }),
      }}
    >
      <CreateTokenDialog orgSlug={orgSlug} appUrl={appUrl} open={creating} onClose={() => setCreating(false)} />
    </CredentialTable>
  );
}
