import type { Metadata } from "next";
import { ApiKeysTable } from "@/components/serving/api-keys-table";
import { UsageChart } from "@/components/serving/usage-chart";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "API keys" };

export default async function ApiKeysPage({ params }: PageProps<"/[org]/api-keys">) {
  const { org: orgSlug } = await params;
  const org = await requireOrg(orgSlug);
  const queryClient = getQueryClient();
  const input = { orgSlug };
  await Promise.all([
    queryClient.prefetchQuery(trpc.apiKeys.list.queryOptions(input)),
    queryClient.prefetchQuery(trpc.deployments.list.queryOptions(input)),
    queryClient.prefetchQuery(trpc.apiKeys.usage.queryOptions({ ...input, days: 30 })),
  ]);
  return (
    <HydrateClient>
      <ApiKeysTable orgSlug={orgSlug} canManage={hasRole(org.role, "admin")} />
      <UsageChart orgSlug={orgSlug} />
    </HydrateClient>
  );
}
