import { RecordsBrowser } from "@/components/datanets/detail/records-browser";
import { pageSizes } from "@/components/datanets/detail/pagination";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function DatanetRecordsPage({ params, searchParams }: PageProps<"/[org]/datanets/[datanet]">) {
  const [{ org: orgSlug, datanet: datanetSlug }, query] = await Promise.all([params, searchParams]);
  // ?contributor=<user id> comes from the Contributors tab; anything else is ignored.
  const contributorId = typeof query.contributor === "string" && uuid.test(query.contributor) ? query.contributor : undefined;
  await getQueryClient().prefetchQuery(
    trpc.datanets.records.queryOptions({ orgSlug, datanetSlug, page: 1, pageSize: pageSizes.records, contributorId }),
  );
  return (
    <HydrateClient>
      <RecordsBrowser key={contributorId ?? "all"} orgSlug={orgSlug} datanetSlug={datanetSlug} initialContributorId={contributorId} />
    </HydrateClient>
  );
}
