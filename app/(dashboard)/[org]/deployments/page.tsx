import type { Metadata } from "next";
import { PageHeader } from "@/components/page-header";
import { DeploymentsTable } from "@/components/serving/deployments-table";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Deployments" };

export default async function DeploymentsPage({ params }: PageProps<"/[org]/deployments">) {
  const { org: orgSlug } = await params;
  const org = await requireOrg(orgSlug);
  await getQueryClient().prefetchQuery(trpc.deployments.list.queryOptions({ orgSlug }));
  return (
    <HydrateClient>
      <PageHeader
        title="Deployments"
        description="Model versions served on the shared multi-adapter pool. Apps call them through the OpenAI-compatible API, passing a deployment's name as model."
      />
      <DeploymentsTable orgSlug={orgSlug} canManage={hasRole(org.role, "member")} />
    </HydrateClient>
  );
}
