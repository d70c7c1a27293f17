import type { Metadata } from "next";
import { canCurate } from "@/components/datanets/detail/permissions";
import { VersionsPanel } from "@/components/datanets/detail/versions-panel";
import { requireOrg } from "@/components/shell/current-org";

export const metadata: Metadata = { title: "Versions" };

// The layout already prefetched the versions list for the header's count.
export default async function DatanetVersionsPage({ params }: PageProps<"/[org]/datanets/[datanet]/versions">) {
  const { org: orgSlug, datanet: datanetSlug } = await params;
  const org = await requireOrg(orgSlug);
  return <VersionsPanel orgSlug={orgSlug} datanetSlug={datanetSlug} canPublish={canCurate(org.role)} />;
}
