import type { Metadata } from "next";
import { AttributionChainBanner } from "@/components/attribution/chain-banner";
import { DatanetAttributionView } from "@/components/attribution/datanet-attribution-view";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";

export const metadata: Metadata = { title: "Attribution" };

export default async function DatanetAttributionPage({ params }: PageProps<"/[org]/datanets/[datanet]/attribution">) {
  const { org: orgSlug, datanet: datanetSlug } = await params;
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.attributionDashboards.datanet.queryOptions({ orgSlug, datanetSlug, days: 90 })),
    queryClient.prefetchQuery(trpc.attributionDashboards.chainInfo.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <AttributionChainBanner />
      <DatanetAttributionView orgSlug={orgSlug} datanetSlug={datanetSlug} />
    </HydrateClient>
  );
}
