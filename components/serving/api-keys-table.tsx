"use client";
// The org's API keys by prefix, with scope, limits, dates; admins create and revoke them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatCount, formatDate, formatDateTime } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, CardBody, CardHeader, ConfirmDialog, EmptyState, Table, TBody, TD, TH, THead, TR, useToast } from "@/components/ui";
import { CreateApiKeyDialog } from "./api-key-create-dialog";

function limits(k: { requestsPerMinute: number | null; tokensPerMinute: number | null }) {
  const parts = [k.requestsPerMinute !== null && `${formatCount(k.requestsPerMinute)} req/min`, k.tokensPerMinute !== null && `${formatCount(k.tokensPerMinute)} tok/min`].filter(Boolean);
  return parts.length ? parts.join(", ") : <span className="text-gray-600">None</span>;
}

export function ApiKeysTable({ orgSlug, canManage }: { orgSlug: string; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ orgSlug }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions());
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const createButton = canManage && <Button onClick={() => setCreating(true)}>Create key</Button>;
  const list = keys.data ?? [];

  return (
    <Card>
      <CardHeader
        title="Keys"
        description={canManage ? "Apps call your deployments with these. Revoking one refuses its very next request." : "Apps call your deployments with these. Admins of this organization create and revoke them."}
        actions={list.length > 0 && createButton}
      />
      {keys.error && <CardBody><FormAlert message={serverErrors(keys.error).message} /></CardBody>}
      {keys.data && list.length === 0 ? (
        <CardBody>
          <EmptyState
            title="No API keys"
            description={canManage ? "Create a key for each app that calls your models; you will see it once, then only its prefix." : "Ask an admin of this organization to create a key for your app."}
            action={createButton}
          />
        </CardBody>
      ) : (
        <div className="p-2 sm:p-4">
          <Table caption="API keys">
            <THead>
              <TR>
                <TH>Name and key</TH><TH>Deployments</TH><TH>Limits</TH><TH>Created</TH><TH>Last used</TH><TH>Expires</TH>
                {canManage && <TH><span className="sr-only">Actions</span></TH>}
              </TR>
            </THead>
            <TBody>
              {list.map((k) => (
                <TR key={k.id}>
                  <TD>
                    <span className="block font-medium text-gray-900">{k.name}</span>
                    <span className="font-mono text-xs">{k.prefix}…</span>
                  </TD>
                  <TD className="max-w-56 truncate" title={k.deployments?.map((d) => d.name).join(", ")}>
                    {k.deployments === null ? "All" : k.deployments.length === 0 ? <span className="text-gray-600">None left</span> : k.deployments.map((d) => d.name).join(", ")}
                  </TD>
                  <TD>{limits(k)}</TD>
                  <TD title={formatDateTime(k.createdAt)}>{formatDate(k.createdAt)}</TD>
                  <TD>{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : <span className="text-gray-600">Never</span>}</TD>
                  <TD title={k.expiresAt ? formatDateTime(k.expiresAt) : undefined}>
                    {k.expired ? <Badge variant="danger">Expired</Badge> : k.expiresAt ? formatDate(k.expiresAt) : <span className="text-gray-600">Never</span>}
                  </TD>
                  {canManage && (
                    <TD className="text-right">
                      <Button variant="ghost" size="sm" className="text-danger-700 hover:text-danger-800" onClick={() => setRevoking({ id: k.id, name: k.name })}>
                        Revoke<span className="sr-only"> key {k.name}</span>
                      </Button>
                    </TD>
                  )}
                </TR>
              ))}
            </TBody>
          </Table>
        </div>
      )}
      {canManage && <CreateApiKeyDialog orgSlug={orgSlug} open={creating} onClose={() => setCreating(false)} />}
      <ConfirmDialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        description="Apps using this key are refused (401) from their next request. Its usage stays on the chart. This cannot be undone."
        cancelLabel="Keep key"
        confirmLabel="Revoke key"
        onConfirm={async () => {
          if (!revoking) return;
          try {
            await revoke.mutateAsync({ orgSlug, keyId: revoking.id });
          } catch (error) {
            throw new Error(serverErrors(error).message);
          }
          toast({ title: `Key “${revoking.name}” revoked`, variant: "success" });
          await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey({ orgSlug }) });
        }}
      />
    </Card>
  );
}
