import type { Metadata } from "next";
import { DeploymentView } from "@/components/serving/deployment-view";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { env } from "@/server/env";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Deployment" };

export default async function DeploymentPage({ params }: PageProps<"/[org]/deployments/[deployment]">) {
  const { org: orgSlug, deployment } = await params;
  const org = await requireOrg(orgSlug);
  const name = decodeURIComponent(deployment);
  await getQueryClient().prefetchQuery(trpc.deployments.get.queryOptions({ orgSlug, name }));
  return (
    <HydrateClient>
      <DeploymentView orgSlug={orgSlug} name={name} baseUrl={`${env.APP_URL.replace(/\/+$/, "")}/v1`} canManage={hasRole(org.role, "member")} />
    </HydrateClient>
  );
}
