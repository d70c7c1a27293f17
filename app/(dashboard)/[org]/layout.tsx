import { TRPCError } from "@trpc/server";
import { redirect } from "next/navigation";
import { AppShell } from "@/components/shell/app-shell";
import { OrgNotFound } from "@/components/shell/org-not-found";
import { getCaller } from "@/components/trpc/server";
import { currentUserId } from "@/server/auth/options";

export default async function OrgLayout({ children, params }: LayoutProps<"/[org]">) {
  const { org: orgSlug } = await params;
  const signIn = `/sign-in?next=${encodeURIComponent(`/${orgSlug}`)}`;
  if (!(await currentUserId())) redirect(signIn);
  const caller = await getCaller();
  const loaded = await Promise.all([caller.orgs.get({ orgSlug }), caller.orgs.list(), caller.account.me()]).catch((error: unknown) => {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") return error;
    if (error instanceof TRPCError && error.code === "UNAUTHORIZED") redirect(signIn);
    throw error;
  });
  if (loaded instanceof TRPCError) return <OrgNotFound slug={orgSlug} message={loaded.message} />;
  const [org, orgs, me] = loaded;
  return (
    <AppShell org={org} orgs={orgs} user={me}>
      {children}
    </AppShell>
  );
}
