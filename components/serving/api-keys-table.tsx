"use client";
// The org's API keys by prefix, with scope, limits, dates; admins create and revoke them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { CredentialTable, type CredentialColumn } from "@/components/credentials/credential-table";
import { formatCount, formatDate, formatDateTime } from "@/components/datanets/detail/format";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";
import { CreateApiKeyDialog } from "./api-key-create-dialog";

function limits(k: { requestsPerMinute: number | null; tokensPerMinute: number | null }) {
  const parts = [k.requestsPerMinute !== null && `${formatCount(k.requestsPerMinute)} req/min`, k.tokensPerMinute !== null && `${formatCount(k.tokensPerMinute)} tok/min`].filter(Boolean);
  return parts.length ? parts.join(", ") : <span className="text-gray-600">None</span>;
}

type ApiKeyRow = inferRouterOutputs<AppRouter>["apiKeys"]["list"][number];

const columns: CredentialColumn<ApiKeyRow>[] = [
  {
    header: "Name and key",
    cell: (k) => (
      <>
        <span className="block font-medium text-gray-900">{k.name}</span>
        <span className="font-mono text-xs">{k.prefix}…</span>
      </>
    ),
  },
  {
    header: "Deployments",
    className: "max-w-56 truncate",
    title: (k) => k.deployments?.map((d) => d.name).join(", "),
    cell: (k) => (k.deployments === null ? "All" : k.deployments.length === 0 ? <span className="text-gray-600">None left</span> : k.deployments.map((d) => d.name).join(", ")),
  },
  { header: "Limits", cell: limits },
  { header: "Created", title: (k) => formatDateTime(k.createdAt), cell: (k) => formatDate(k.createdAt) },
  { header: "Last used", cell: (k) => (k.lastUsedAt ? formatDateTime(k.lastUsedAt) : <span className="text-gray-600">Never</span>) },
  {
    header: "Expires",
    title: (k) => (k.expiresAt ? formatDateTime(k.expiresAt) : undefined),
    cell: (k) => (k.expired ? <Badge variant="danger">Expired</Badge> : k.expiresAt ? formatDate(k.expiresAt) : <span className="text-gray-600">Never</span>),
  },
];

export function ApiKeysTable({ orgSlug, canManage }: { orgSlug: string; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions({ orgSlug }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions());
  const [creating, setCreating] = useState(false);

  return (
    <CredentialTable
      title="Keys"
      description={canManage ? "Apps call your deployments with these. Revoking one refuses its very next request." : "Apps call your deployments with these. Admins of this organization create and revoke them."}
      caption="API keys"
      noun="key"
      rows={keys}
      columns={columns}
      empty={{
        title: "No API keys",
        description: canManage ? "Create a key for each app that calls your models; you will see it once, then only its prefix." : "Ask an admin of this organization to create a key for your app.",
      }}
      manage={
        canManage
          ? {
              createLabel: "Create key",
              onCreate: () => setCreating(true),
              revokeDescription: "Apps using this key are refused (401) from their next request. Its usage stays on the chart. This cannot be undone.",
              revoke: (k) => revoke.mutateAsync({ orgSlug, keyId: k.id }),
              revoked: () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey({ orgSlug }) }),
            }
          : null
      }
    >
      {canManage && <CreateApiKeyDialog orgSlug={orgSlug} open={creating} onClose={() => setCreating(false)} />}
    </CredentialTable>
  );
}
