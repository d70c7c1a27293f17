import type { Metadata } from "next";
import { ModelsOverview } from "@/components/attribution/models-overview";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";

export const metadata: Metadata = { title: "Attribution by model" };

export default async function AttributionModelsPage({ params }: PageProps<"/[org]/attribution/models">) {
  const { org: orgSlug } = await params;
  await getQueryClient().prefetchQuery(trpc.attributionDashboards.orgModels.queryOptions({ orgSlug, days: 90 }));
  return (
    <HydrateClient>
      <ModelsOverview orgSlug={orgSlug} />
    </HydrateClient>
  );
}
