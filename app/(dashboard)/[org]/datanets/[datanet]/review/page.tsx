import type { Metadata } from "next";
import { pageSizes } from "@/components/datanets/detail/pagination";
import { canCurate } from "@/components/datanets/detail/permissions";
import { ReviewQueue } from "@/components/datanets/detail/review-queue";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { EmptyState } from "@/components/ui";

export const metadata: Metadata = { title: "Review" };

export default async function DatanetReviewPage({ params }: PageProps<"/[org]/datanets/[datanet]/review">) {
  const { org: orgSlug, datanet: datanetSlug } = await params;
  const org = await requireOrg(orgSlug);
  if (!canCurate(org.role)) {
    return (
      <EmptyState
        titleAs="h2"
        title="Only owners and admins review contributions"
        description={`You are a ${org.role} of ${org.name}. Ask an owner or admin to accept or reject pending records.`}
      />
    );
  }
  await getQueryClient().prefetchQuery(
    trpc.datanets.records.queryOptions({ orgSlug, datanetSlug, status: "pending", page: 1, pageSize: pageSizes.review }),
  );
  return (
    <HydrateClient>
      <ReviewQueue orgSlug={orgSlug} datanetSlug={datanetSlug} />
    </HydrateClient>
  );
}
