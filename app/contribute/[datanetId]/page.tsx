import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { ContributePanel } from "@/components/datanets/contribute/contribute-panel";
import { DirectoryHeader } from "@/components/datanets/directory/directory-header";
import { getCaller } from "@/components/trpc/server";
import { buttonClasses, EmptyState } from "@/components/ui";
import { currentUserId } from "@/server/auth/options";

export const metadata: Metadata = { title: "Contribute" };

export default async function ContributePage({ params }: PageProps<"/contribute/[datanetId]">) {
  const { datanetId } = await params;
  if (!(await currentUserId())) redirect(`/sign-in?next=${encodeURIComponent(`/contribute/${datanetId}`)}`);
  const caller = await getCaller();
  const [datanet, orgs] = await Promise.all([
    caller.datanets.forContributor({ datanetId }).catch((error: unknown) => {
      if (error instanceof TRPCError && ["NOT_FOUND", "BAD_REQUEST", "FORBIDDEN"].includes(error.code)) return { problem: error.message };
      throw error;
    }),
    caller.orgs.list(),
  ]);
  return (
    <main className="mx-auto flex min-h-dvh max-w-4xl flex-col gap-8 px-4 py-8 sm:px-6">
      <DirectoryHeader signedIn />
      {"problem" in datanet ? (
        <EmptyState
          titleAs="h1"
          title="You cannot contribute to this Datanet"
          description={datanet.problem}
          action={<Link href="/datanets/directory" className={buttonClasses("secondary")}>Browse public Datanets</Link>}
        />
      ) : (
        <ContributePanel
          datanet={{ id: datanet.id, name: datanet.name, summary: datanet.summary, orgName: datanet.orgName, recordFormat: datanet.recordFormat, license: datanet.license, autoAccept: datanet.autoAccept }}
          orgs={orgs.map((o) => ({ slug: o.slug, name: o.name }))}
        />
      )}
    </main>
  );
}
