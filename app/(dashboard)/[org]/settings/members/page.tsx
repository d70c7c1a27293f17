import { requireOrg } from "@/components/shell/current-org";
import type { Metadata } from "next";
import { MembersPanel } from "@/components/settings/members-panel";
import { PendingInvites } from "@/components/settings/pending-invites";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { currentUserId } from "@/server/auth/options";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage({ params }: PageProps<"/[org]/settings/members">) {
  const { org: orgSlug } = await params;
  const [org, userId] = await Promise.all([requireOrg(orgSlug), currentUserId()]);
  const canManage = org.role === "owner" || org.role === "admin";
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.orgs.members.queryOptions({ orgSlug })),
    canManage ? queryClient.prefetchQuery(trpc.invites.list.queryOptions({ orgSlug })) : null,
  ]);
  return (
    <HydrateClient>
      <MembersPanel orgSlug={orgSlug} myRole={org.role} myUserId={userId ?? ""} />
      {canManage && <PendingInvites orgSlug={orgSlug} />}
    </HydrateClient>
  );
}
