import type { Metadata } from "next";
import Link from "next/link";
import { DirectoryCard } from "@/components/datanets/directory/directory-card";
import { DirectoryHeader } from "@/components/datanets/directory/directory-header";
import { DirectoryPages } from "@/components/datanets/directory/directory-pages";
import { formatCount } from "@/components/datanets/detail/format";
import { getCaller } from "@/components/trpc/server";
import { Button, buttonClasses, EmptyState, Input } from "@/components/ui";
import { currentUserId } from "@/server/auth/options";

export const metadata: Metadata = {
  title: "Datanet directory",
  description: "Public Datanets: community-pooled domain data you can contribute to and fine-tune on.",
};

const PAGE_SIZE = 24; // what datanets.directory returns per page

function first(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

export default async function DirectoryPage({ searchParams }: PageProps<"/datanets/directory">) {
  const query = await searchParams;
  const search = first(query.q).trim().slice(0, 100);
  const requested = Number.parseInt(first(query.page), 10);
  const page = Number.isFinite(requested) && requested >= 1 ? Math.min(requested, 10_000) : 1;
  const [caller, userId] = await Promise.all([getCaller(), currentUserId()]);
  const { rows, total } = await caller.datanets.directory({ search: search || undefined, page });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  return (
    <main className="mx-auto flex min-h-dvh max-w-6xl flex-col gap-8 px-4 py-8 sm:px-6">
      <DirectoryHeader signedIn={userId !== null} />
      <div>
        <h1 className="text-3xl font-semibold tracking-tight text-gray-900">Datanet directory</h1>
        <p className="mt-2 max-w-2xl text-gray-600">
          Public Datanets pool domain data from their communities. Every record keeps its contributor, and models fine-tuned on them credit the people whose data they learned from.
        </p>
      </div>
      <form action="/datanets/directory" method="get" role="search" className="flex max-w-xl items-end gap-2">
        <div className="flex-1">
          <Input label="Search by name, summary or tag" name="q" type="search" defaultValue={search} maxLength={100} placeholder="e.g. medicine" />
        </div>
        <Button type="submit" variant="secondary">Search</Button>
      </form>
      {rows.length === 0 ? (
        <EmptyState
          titleAs="h2"
          title={search ? `No public Datanets match “${search}”` : "No public Datanets yet"}
          description={search ? "Try a shorter word, or a tag such as a domain or language." : "When an organization makes a Datanet public, it is listed here for anyone to contribute to."}
          action={search ? <Link href="/datanets/directory" className={buttonClasses("secondary")}>Show all Datanets</Link> : undefined}
        />
      ) : (
        <section aria-label="Public Datanets" className="space-y-6">
          <p className="text-sm text-gray-600" aria-live="polite">
            {formatCount(total)} public {total === 1 ? "Datanet" : "Datanets"}{search && ` matching “${search}”`}
          </p>
          <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {rows.map((datanet) => <DirectoryCard key={datanet.id} datanet={datanet} />)}
          </ul>
          <DirectoryPages search={search} page={page} pages={pages} />
        </section>
      )}
    </main>
  );
}
