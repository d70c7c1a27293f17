import type { Metadata } from "next";
import { ContributePanel } from "@/components/datanets/detail/contribute-panel";
import { autoAccepts, canContribute } from "@/components/datanets/detail/permissions";
import { loadDatanet } from "@/components/datanets/detail/load-datanet";
import { requireOrg } from "@/components/shell/current-org";
import { EmptyState } from "@/components/ui";

export const metadata: Metadata = { title: "Contribute" };

export default async function DatanetContributePage({ params }: PageProps<"/[org]/datanets/[datanet]/contribute">) {
  const { org: orgSlug, datanet: datanetSlug } = await params;
  const [org, datanet] = await Promise.all([requireOrg(orgSlug), loadDatanet(orgSlug, datanetSlug)]);
  if (!datanet) return null;
  if (!canContribute(org.role, datanet)) {
    return (
      <EmptyState
        titleAs="h2"
        title={datanet.status === "active" ? "Viewers cannot contribute here" : "This Datanet is still a draft"}
        description={
          datanet.status === "active"
            ? `This Datanet is private to ${org.name}, and you are a viewer. Ask an admin for the member role.`
            : "Finish its creation wizard to make it live; then contributions open."
        }
      />
    );
  }
  return <ContributePanel orgSlug={orgSlug} datanet={datanet} autoAccepted={autoAccepts(org.role, datanet)} />;
}
