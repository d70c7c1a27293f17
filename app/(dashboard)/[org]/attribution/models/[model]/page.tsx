import type { Metadata } from "next";
import { ModelAttributionView } from "@/components/attribution/model-attribution-view";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Model attribution" };

export default async function ModelAttributionPage({ params }: PageProps<"/[org]/attribution/models/[model]">) {
  const { org: orgSlug, model: modelSlug } = await params;
  const org = await requireOrg(orgSlug);
  await getQueryClient().prefetchQuery(trpc.attributionDashboards.model.queryOptions({ orgSlug, modelSlug, days: 90 }));
  return (
    <HydrateClient>
      <ModelAttributionView orgSlug={orgSlug} modelSlug={modelSlug} canRetry={hasRole(org.role, "admin")} />
    </HydrateClient>
  );
}
