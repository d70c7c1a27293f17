"use client";
// Pending invites: renew (a new link, shown once) or revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, CardBody, CardHeader, Dialog, EmptyState, Table, TBody, TD, TH, THead, TR, useToast } from "@/components/ui";
import { InviteLink } from "./invite-link";

export function PendingInvites({ orgSlug }: { orgSlug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const invites = useQuery(trpc.invites.list.queryOptions({ orgSlug }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.invites.list.queryKey({ orgSlug }) });
  const onError = (error: unknown) => toast({ title: "Not changed", description: serverErrors(error).message, variant: "error" });
  const [link, setLink] = useState<{ url: string; emailed: boolean } | null>(null);
  const renew = useMutation(trpc.invites.renew.mutationOptions({ onSuccess: (r) => { setLink(r); void refresh(); }, onError }));
  const revoke = useMutation(trpc.invites.revoke.mutationOptions({ onSuccess: refresh, onError }));

  return (
    <Card>
      <CardHeader title="Pending invites" description="Links that have not been used yet." />
      {invites.data?.length ? (
        <Table caption="Pending invites">
          <THead>
            <TR><TH>Email</TH><TH>Role</TH><TH>Expires</TH><TH><span className="sr-only">Actions</span></TH></TR>
          </THead>
          <TBody>
            {invites.data.map((invite) => (
              <TR key={invite.id}>
                <TD className="font-medium text-gray-900">{invite.email}</TD>
                <TD><Badge>{invite.role}</Badge></TD>
                <TD>
                  {invite.expired ? <Badge variant="warning">expired</Badge> : invite.expiresAt.toLocaleDateString()}
                </TD>
                <TD className="space-x-1 text-right">
                  <Button variant="ghost" size="sm" onClick={() => renew.mutate({ orgSlug, inviteId: invite.id })}>
                    New link<span className="sr-only"> for {invite.email}</span>
                  </Button>
                  <Button variant="ghost" size="sm" onClick={() => revoke.mutate({ orgSlug, inviteId: invite.id })}>
                    Revoke<span className="sr-only"> invite for {invite.email}</span>
                  </Button>
                </TD>
              </TR>
            ))}
          </TBody>
        </Table>
      ) : (
        <CardBody>
          <EmptyState title="No pending invites" description="Invite people with the Invite member button; their links show up here until used." />
        </CardBody>
      )}
      <Dialog open={link !== null} onClose={() => setLink(null)} title="New invite link" description="The previous link no longer works.">
        {link && <InviteLink {...link} />}
      </Dialog>
    </Card>
  );
}
