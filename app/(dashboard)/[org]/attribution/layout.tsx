import { AttributionChainBanner } from "@/components/attribution/chain-banner";
import { AttributionTabs } from "@/components/attribution/attribution-tabs";
import { PageHeader } from "@/components/page-header";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";

export default async function AttributionLayout({ children, params }: LayoutProps<"/[org]/attribution">) {
  const { org } = await params;
  await getQueryClient().prefetchQuery(trpc.attributionDashboards.chainInfo.queryOptions());
  return (
    <HydrateClient>
      <PageHeader
        title="Attribution"
        description="Which contributors' records each answer drew on, what that earned them, and the commits on chain that let them claim it."
      />
      <AttributionTabs orgSlug={org} />
      <div className="mt-6 space-y-6">
        <AttributionChainBanner />
        {children}
      </div>
    </HydrateClient>
  );
}
