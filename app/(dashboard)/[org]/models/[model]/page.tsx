import type { Metadata } from "next";
import { ModelView } from "@/components/finetune/model-view";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Model" };

export default async function ModelPage({ params, searchParams }: PageProps<"/[org]/models/[model]">) {
  const [{ org: orgSlug, model: modelSlug }, { version }] = await Promise.all([params, searchParams]);
  const org = await requireOrg(orgSlug);
  const selected = typeof version === "string" && /^\d+$/.test(version) ? Number(version) : null;
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.finetune.model.queryOptions({ orgSlug, modelSlug })),
    queryClient.prefetchQuery(trpc.finetune.catalog.queryOptions({ orgSlug })),
    queryClient.prefetchQuery(trpc.deployments.forModel.queryOptions({ orgSlug, modelSlug })),
  ]);
  return (
    <HydrateClient>
      <ModelView orgSlug={orgSlug} modelSlug={modelSlug} selected={selected} canTrain={hasRole(org.role, "member")} />
    </HydrateClient>
  );
}
