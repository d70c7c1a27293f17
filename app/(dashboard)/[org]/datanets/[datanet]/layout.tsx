import type { Metadata } from "next";
import Link from "next/link";
import { DatanetHeader } from "@/components/datanets/detail/datanet-header";
import { DatanetTabs } from "@/components/datanets/detail/datanet-tabs";
import { loadDatanet } from "@/components/datanets/detail/load-datanet";
import { canContribute, canCurate } from "@/components/datanets/detail/permissions";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { buttonClasses, EmptyState } from "@/components/ui";

export async function generateMetadata({ params }: LayoutProps<"/[org]/datanets/[datanet]">): Promise<Metadata> {
  const { org, datanet } = await params;
  const name = (await loadDatanet(org, datanet))?.name ?? "Datanet";
  // Tabs set their own title ("Versions"), read as "Versions · <name> · Tributary".
  return { title: { default: name, template: `%s · ${name} · Tributary` } };
}

export default async function DatanetLayout({ children, params }: LayoutProps<"/[org]/datanets/[datanet]">) {
  const { org: orgSlug, datanet: datanetSlug } = await params;
  const org = await requireOrg(orgSlug);
  const datanet = await loadDatanet(orgSlug, datanetSlug);
  if (!datanet) {
    return (
      <EmptyState
        titleAs="h1"
        title={`No Datanet “${datanetSlug}”`}
        description={`${org.name} has no Datanet at this address. It may have been renamed or discarded; check the link.`}
        action={<Link href={`/${orgSlug}/datanets`} className={buttonClasses("primary")}>Back to Datanets</Link>}
      />
    );
  }
  const input = { orgSlug, datanetSlug };
  const queryClient = getQueryClient();
  queryClient.setQueryData(trpc.datanets.get.queryKey(input), datanet);
  await Promise.all([
    queryClient.prefetchQuery(trpc.datanets.stats.queryOptions(input)),
    queryClient.prefetchQuery(trpc.datanets.versions.queryOptions(input)),
    queryClient.prefetchQuery(trpc.datanets.records.queryOptions({ ...input, status: "pending", pageSize: 1 })),
  ]);
  return (
    <HydrateClient>
      <DatanetHeader orgSlug={orgSlug} datanetSlug={datanetSlug} />
      <DatanetTabs orgSlug={orgSlug} datanetSlug={datanetSlug} canReview={canCurate(org.role)} canContribute={canContribute(org.role, datanet)} />
      <div className="mt-6 space-y-6">{children}</div>
    </HydrateClient>
  );
}
