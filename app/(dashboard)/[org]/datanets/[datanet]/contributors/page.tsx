import type { Metadata } from "next";
import { ContributorsBoard } from "@/components/datanets/detail/contributors-board";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";

export const metadata: Metadata = { title: "Contributors" };

export default async function DatanetContributorsPage({ params }: PageProps<"/[org]/datanets/[datanet]/contributors">) {
  const { org: orgSlug, datanet: datanetSlug } = await params;
  await getQueryClient().prefetchQuery(trpc.datanets.leaderboard.queryOptions({ orgSlug, datanetSlug }));
  return (
    <HydrateClient>
      <ContributorsBoard orgSlug={orgSlug} datanetSlug={datanetSlug} />
    </HydrateClient>
  );
}
