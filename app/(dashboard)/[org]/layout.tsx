import { AppShell } from "@/components/shell/app-shell";
import { loadOrg } from "@/components/shell/current-org";
import { OrgNotFound } from "@/components/shell/org-not-found";
import { getCaller } from "@/components/trpc/server";

export default async function OrgLayout({ children, params }: LayoutProps<"/[org]">) {
  const { org: orgSlug } = await params;
  const loaded = await loadOrg(orgSlug);
  if (!loaded.ok) return <OrgNotFound slug={orgSlug} message={loaded.problem} />;
  const caller = await getCaller();
  const [orgs, me] = await Promise.all([caller.orgs.list(), caller.account.me()]);
  return (
    <AppShell org={loaded.org} orgs={orgs} user={me}>
      {children}
    </AppShell>
  );
}
