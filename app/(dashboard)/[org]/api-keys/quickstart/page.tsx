import type { Metadata } from "next";
import { ApiSnippets } from "@/components/serving/api-snippets";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { env } from "@/server/env";

export const metadata: Metadata = { title: "Call the API" };

export default async function QuickstartPage({ params }: PageProps<"/[org]/api-keys/quickstart">) {
  const { org: orgSlug } = await params;
  await requireOrg(orgSlug);
  const queryClient = getQueryClient();
  await queryClient.prefetchQuery(trpc.deployments.list.queryOptions({ orgSlug }));
  return (
    <HydrateClient>
      <ApiSnippets orgSlug={orgSlug} baseUrl={`${env.APP_URL.replace(/\/+$/, "")}/v1`} />
    </HydrateClient>
  );
}
