import type { Metadata } from "next";
import { ModelAttributionView } from "@/components/attribution/model-attribution-view";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";

export const metadata: Metadata = { title: "Model attribution" };

export default async function ModelAttributionPage({ params }: PageProps<"/[org]/attribution/models/[model]">) {
  const { org: orgSlug, model: modelSlug } = await params;
  await getQueryClient().prefetchQuery(trpc.attributionDashboards.model.queryOptions({ orgSlug, modelSlug, days: 90 }));
  return (
    <HydrateClient>
      <ModelAttributionView orgSlug={orgSlug} modelSlug={modelSlug} />
    </HydrateClient>
  );
}
