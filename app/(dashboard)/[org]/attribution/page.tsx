import type { Metadata } from "next";
import { EarningsView } from "@/components/attribution/earnings-view";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { walletSettings } from "@/server/chain/wallet-settings";

export const metadata: Metadata = { title: "My earnings" };

export default async function MyEarningsPage({ params }: PageProps<"/[org]/attribution">) {
  const { org: orgSlug } = await params;
  await getQueryClient().prefetchQuery(trpc.attributionDashboards.myEarnings.queryOptions({ days: 90 }));
  return (
    <HydrateClient>
      <EarningsView orgSlug={orgSlug} walletSettings={walletSettings({ withAppChain: true })} />
    </HydrateClient>
  );
}
