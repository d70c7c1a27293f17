import type { Metadata } from "next";
import { RunView } from "@/components/finetune/run-view";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Training run" };

export default async function RunPage({ params }: PageProps<"/[org]/models/[model]/runs/[run]">) {
  const { org: orgSlug, run: runId } = await params;
  const org = await requireOrg(orgSlug);
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.finetune.run.queryOptions({ orgSlug, runId })),
    queryClient.prefetchQuery(trpc.finetune.catalog.queryOptions({ orgSlug })),
  ]);
  return (
    <HydrateClient>
      {/* Keyed by run, so moving to another run starts its log afresh. */}
      <RunView key={runId} orgSlug={orgSlug} runId={runId} canChange={hasRole(org.role, "member")} />
    </HydrateClient>
  );
}
