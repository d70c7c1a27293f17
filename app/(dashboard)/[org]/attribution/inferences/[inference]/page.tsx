import type { Metadata } from "next";
import { InferenceView } from "@/components/attribution/inference-view";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";

export const metadata: Metadata = { title: "Answer attribution" };

/** The segment as the link encoded it; one that is not valid percent-encoding is taken as it is. */
function decoded(segment: string) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export default async function InferenceAttributionPage({ params }: PageProps<"/[org]/attribution/inferences/[inference]">) {
  const { org: orgSlug, inference } = await params;
  const inferenceId = decoded(inference);
  await getQueryClient().prefetchQuery(trpc.attributionDashboards.inference.queryOptions({ orgSlug, inferenceId }));
  return (
    <HydrateClient>
      <InferenceView orgSlug={orgSlug} inferenceId={inferenceId} />
    </HydrateClient>
  );
}
