"use client";
// Admins' worker tokens: create one (shown once, with the command that uses it), list them by
// prefix, and revoke one after a confirmation.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formatDateTime } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, CardBody, CardHeader, ConfirmDialog, Dialog, EmptyState, Input, SecretField, Table, TBody, TD, TH, THead, TR, useToast } from "@/components/ui";
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

export function WorkerTokens({ orgSlug, appUrl }: { orgSlug: string; appUrl: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const tokens = useQuery(trpc.workers.tokens.queryOptions({ orgSlug }));
  const revoke = useMutation(trpc.workers.revokeToken.mutationOptions());
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const createButton = <Button onClick={() => setCreating(true)}>Create token</Button>;
  const list = tokens.data ?? [];

  return (
    <Card>
      <CardHeader
        title="Worker tokens"
        description="Workers sign in with these. Revoking one stops its workers at their next request."
        actions={list.length > 0 && createButton}
      />
      {tokens.error && <CardBody><FormAlert message={serverErrors(tokens.error).message} /></CardBody>}
      {tokens.data && list.length === 0 ? (
        <CardBody>
          <EmptyState title="No worker tokens" description="Create a token, then start a worker with it on a machine with a GPU (or a CPU, for the tiny test model)." action={createButton} />
        </CardBody>
      ) : (
        <div className="p-2 sm:p-4">
          <Table caption="Worker tokens">
            <THead>
              <TR><TH>Name</TH><TH>Token</TH><TH>Created</TH><TH>Last used</TH><TH><span className="sr-only">Actions</span></TH></TR>
            </THead>
            <TBody>
              {list.map((t) => (
                <TR key={t.id}>
                  <TD className="font-medium text-gray-900">{t.name}</TD>
                  <TD className="font-mono text-xs">{t.prefix}…</TD>
                  <TD>{formatDateTime(t.createdAt)}</TD>
                  <TD>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : <span className="text-gray-600">Never</span>}</TD>
                  <TD className="text-right">
                    <Button variant="ghost" size="sm" className="text-danger-700 hover:text-danger-800" onClick={() => setRevoking({ id: t.id, name: t.name })}>
                      Revoke<span className="sr-only"> token {t.name}</span>
                    </Button>
                  </TD>
                </TR>
              ))}
            </TBody>
          </Table>
        </div>
      )}
      <CreateTokenDialog orgSlug={orgSlug} appUrl={appUrl} open={creating} onClose={() => setCreating(false)} />
      <ConfirmDialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        description="Workers using this token stop at their next request, and a job one is running goes back to the queue. This cannot be undone."
        cancelLabel="Keep token"
        confirmLabel="Revoke token"
        onConfirm={async () => {
          if (!revoking) return;
          try {
            await revoke.mutateAsync({ orgSlug, tokenId: revoking.id });
          } catch (error) {
            throw new Error(serverErrors(error).message);
          }
          toast({ title: `Token “${revoking.name}” revoked`, variant: "success" });
          await queryClient.invalidateQueries({ queryKey: trpc.workers.pathKey() });
        }}
      />
    </Card>
  );
}
