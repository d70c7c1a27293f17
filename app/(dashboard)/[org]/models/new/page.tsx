import type { Metadata } from "next";
import Link from "next/link";
import { FinetuneWizard } from "@/components/finetune/wizard/finetune-wizard";
import { PageHeader } from "@/components/page-header";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { EmptyState, buttonClasses } from "@/components/ui";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Fine-tune a model" };

const one = (value: string | string[] | undefined) => (typeof value === "string" && value ? value : undefined);

export default async function NewModelPage({ params, searchParams }: PageProps<"/[org]/models/new">) {
  const [{ org: orgSlug }, query] = await Promise.all([params, searchParams]);
  const org = await requireOrg(orgSlug);
  const modelSlug = one(query.model);
  const back = (
    <Link href={modelSlug ? `/${orgSlug}/models/${modelSlug}` : `/${orgSlug}/models`} className={buttonClasses("secondary")}>
      {modelSlug ? "Back to the model" : "Back to Models"}
    </Link>
  );
  if (!hasRole(org.role, "member")) {
    return (
      <>
        <PageHeader title="Fine-tune a model" />
        <EmptyState title="Viewers cannot fine-tune models" description={`Ask an owner or admin of ${org.name} to make you a member.`} action={back} />
      </>
    );
  }
  const queryClient = getQueryClient();
  const input = { orgSlug };
  await Promise.all([
    queryClient.prefetchQuery(trpc.finetune.datasets.queryOptions(input)),
    queryClient.prefetchQuery(trpc.finetune.catalog.queryOptions(input)),
    queryClient.prefetchQuery(trpc.finetune.models.queryOptions(input)),
  ]);
  return (
    <HydrateClient>
      <PageHeader
        title={modelSlug ? "Train a new version" : "Fine-tune a model"}
        description="Four short steps. Tributary picks sensible settings for your data; you can change them under Advanced settings."
        actions={back}
      />
      <FinetuneWizard orgSlug={orgSlug} preselectedVersion={one(query.version)} modelSlug={modelSlug} />
    </HydrateClient>
  );
}
