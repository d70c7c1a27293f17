import type { Metadata } from "next";
import Link from "next/link";
import { DatanetWizard } from "@/components/datanets/wizard/datanet-wizard";
import { PageHeader } from "@/components/page-header";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { EmptyState, buttonClasses } from "@/components/ui";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "New Datanet" };

export default async function NewDatanetPage({ params, searchParams }: PageProps<"/[org]/datanets/new">) {
  const [{ org: orgSlug }, { draft }] = await Promise.all([params, searchParams]);
  const draftSlug = typeof draft === "string" && draft ? draft : undefined;
  const org = await requireOrg(orgSlug);
  const back = (
    <Link href={`/${orgSlug}/datanets`} className={buttonClasses("secondary")}>
      Back to Datanets
    </Link>
  );
  if (!hasRole(org.role, "member")) {
    return (
      <>
        <PageHeader title="New Datanet" />
        <EmptyState title="Viewers cannot create Datanets" description={`Ask an owner or admin of ${org.name} to make you a member.`} action={back} />
      </>
    );
  }
  if (draftSlug) await getQueryClient().prefetchQuery(trpc.datanets.get.queryOptions({ orgSlug, datanetSlug: draftSlug }));
  return (
    <HydrateClient>
      <PageHeader
        title="New Datanet"
        description="Each step is saved as you go: leave any time and continue from the Datanets list."
        actions={back}
      />
      <DatanetWizard orgSlug={orgSlug} draftSlug={draftSlug} />
    </HydrateClient>
  );
}
