import type { Metadata } from "next";
import Link from "next/link";
import { PageHeader } from "@/components/page-header";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { Badge, EmptyState, buttonClasses } from "@/components/ui";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Datanets" };

const formatLabels = { chat: "Chat", instruction: "Instruction", text: "Text" } as const;

export default async function DatanetsPage({ params }: PageProps<"/[org]/datanets">) {
  const { org: orgSlug } = await params;
  const org = await requireOrg(orgSlug);
  const canCreate = hasRole(org.role, "member");
  const datanets = await getQueryClient().fetchQuery(trpc.datanets.list.queryOptions({ orgSlug }));
  const base = `/${orgSlug}/datanets`;
  const create = (label: string) => (
    <Link href={`${base}/new`} className={buttonClasses()}>
      {label}
    </Link>
  );

  return (
    <HydrateClient>
      <PageHeader
        title="Datanets"
        description="Datanets pool domain data from a community, with each record credited to its contributor."
        actions={
          <>
            <Link href="/datanets/directory" className={buttonClasses("secondary")}>
              Public directory
            </Link>
            {canCreate && datanets.length > 0 && create("New Datanet")}
          </>
        }
      />
      {datanets.length === 0 ? (
        <EmptyState
          title="No Datanets yet"
          description={
            canCreate
              ? "A Datanet is a shared dataset for one domain: members upload JSONL, CSV, text or PDF files, curators accept the records, and published versions are what models are fine-tuned on. Every record keeps its contributor, so answers can be attributed to them."
              : "A Datanet is a shared dataset for one domain that models are fine-tuned on. This organization has none yet; members and admins can create one."
          }
          icon={
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
              <path d="M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3zm0 0v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3" />
            </svg>
          }
          action={canCreate ? create("Create your first Datanet") : undefined}
        />
      ) : (
        <ul className="space-y-3" aria-label="Datanets">
          {datanets.map((d) => {
            const draft = d.status === "draft";
            const stats = [
              { label: "Records", value: d.records },
              { label: "Tokens", value: d.tokens },
              { label: "Contributors", value: d.contributors },
              { label: "Versions", value: d.versions },
              { label: "Pending", value: d.pending },
            ];
            return (
              <li key={d.id} className="rounded-card border border-gray-200 bg-white p-4 shadow-sm sm:px-6">
                <div className="flex flex-wrap items-start justify-between gap-3">
                  <div className="min-w-0">
                    <div className="flex flex-wrap items-center gap-2">
                      <h2 className="text-base font-semibold text-gray-900">
                        <Link href={`${base}/${d.slug}`} className="hover:text-brand-800 hover:underline">
                          {d.name}
                        </Link>
                      </h2>
                      <Badge variant={draft ? "warning" : "success"}>{draft ? "Draft" : "Active"}</Badge>
                      <Badge variant={d.visibility === "public" ? "brand" : "neutral"}>{d.visibility === "public" ? "Public" : "Private"}</Badge>
                      <Badge>{formatLabels[d.recordFormat]}</Badge>
                    </div>
                    <p className="mt-1 text-sm text-gray-600">{d.summary || (draft ? "Setup not finished yet." : "No summary.")}</p>
                  </div>
                  {draft && canCreate && (
                    <Link href={`${base}/new?draft=${encodeURIComponent(d.slug)}`} className={buttonClasses("secondary", "sm")}>
                      Continue setup
                    </Link>
                  )}
                </div>
                <dl className="mt-3 grid grid-cols-3 gap-x-4 gap-y-2 text-sm sm:flex sm:flex-wrap sm:gap-x-8">
                  {stats.map((s) => (
                    <div key={s.label}>
                      <dt className="text-xs text-gray-600">{s.label}</dt>
                      <dd className={s.label === "Pending" && s.value > 0 ? "font-semibold text-warning-800 tabular-nums" : "font-semibold text-gray-900 tabular-nums"}>
                        {s.value.toLocaleString()}
                      </dd>
                    </div>
                  ))}
                </dl>
              </li>
            );
          })}
        </ul>
      )}
    </HydrateClient>
  );
}
