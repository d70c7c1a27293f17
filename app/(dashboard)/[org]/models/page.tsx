import type { Metadata } from "next";
import Link from "next/link";
import { ModelsOverview } from "@/components/finetune/models-overview";
import { PageHeader } from "@/components/page-header";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { buttonClasses } from "@/components/ui";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Models" };

export default async function ModelsPage({ params }: PageProps<"/[org]/models">) {
  const { org: orgSlug } = await params;
  const org = await requireOrg(orgSlug);
  const canTrain = hasRole(org.role, "member");
  const queryClient = getQueryClient();
  const input = { orgSlug };
  const [models] = await Promise.all([
    queryClient.fetchQuery(trpc.finetune.models.queryOptions(input)),
    queryClient.prefetchQuery(trpc.finetune.runs.queryOptions(input)),
    queryClient.prefetchQuery(trpc.finetune.catalog.queryOptions(input)),
  ]);
  if (models.length === 0) await queryClient.prefetchQuery(trpc.finetune.datasets.queryOptions(input));
  return (
    <HydrateClient>
      <PageHeader
        title="Models"
        description="LoRA adapters fine-tuned on Datanet versions. Each finished run is a version you can compare with its base model."
        actions={canTrain && models.length > 0 && <Link href={`/${orgSlug}/models/new`} className={buttonClasses()}>Fine-tune a model</Link>}
      />
      <ModelsOverview orgSlug={orgSlug} canTrain={canTrain} />
    </HydrateClient>
  );
}
