"use client";
// Members table: change a role, remove someone (owners and admins), and the invite button.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, CardHeader, Table, TBody, TD, TH, THead, TR, useToast } from "@/components/ui";
import { InviteDialog } from "./invite-dialog";
import { assignableRoles, roleOptions, type Role } from "./roles";

interface Props {
  orgSlug: string;
  myRole: string;
  myUserId: string;
}

export function MembersPanel({ orgSlug, myRole, myUserId }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const members = useQuery(trpc.orgs.members.queryOptions({ orgSlug }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.orgs.members.queryKey({ orgSlug }) });
  const onError = (error: unknown) => toast({ title: "Not changed", description: serverErrors(error).message, variant: "error" });
  const changeRole = useMutation(trpc.orgs.changeRole.mutationOptions({ onSuccess: refresh, onError }));
  const removeMember = useMutation(trpc.orgs.removeMember.mutationOptions({ onSuccess: refresh, onError }));
  const [inviting, setInviting] = useState(false);
  const assignable = assignableRoles(myRole);

  return (
    <Card>
      <CardHeader
        title="Members"
        description={members.data?.length === 1 ? "Only you so far." : `${members.data?.length ?? 0} people in this organization.`}
        actions={assignable.length > 0 && <Button onClick={() => setInviting(true)}>Invite member</Button>}
      />
      <Table caption="Organization members">
        <THead>
          <TR>
            <TH>Name</TH>
            <TH>Email or wallet</TH>
            <TH>Role</TH>
            {assignable.length > 0 && <TH><span className="sr-only">Actions</span></TH>}
          </TR>
        </THead>
        <TBody>
          {members.data?.map((m) => {
            const manageable = m.userId !== myUserId && assignable.includes(m.role as Role);
            return (
              <TR key={m.userId}>
                <TD className="font-medium text-gray-900">
                  {m.name} {m.userId === myUserId && <Badge>you</Badge>}
                </TD>
                <TD>{m.email ?? m.walletAddress}</TD>
                <TD>
                  {manageable ? (
                    <select
                      aria-label={`Role of ${m.name}`}
                      value={m.role}
                      disabled={changeRole.isPending}
                      onChange={(e) => changeRole.mutate({ orgSlug, userId: m.userId, role: e.target.value as Role })}
                      className="rounded-control border border-gray-400 bg-white px-2 py-1 text-sm"
                    >
                      {roleOptions
                        .filter((r) => assignable.includes(r.value))
                        .map((r) => (
                          <option key={r.value} value={r.value}>{r.label}</option>
                        ))}
                    </select>
                  ) : (
                    <Badge variant={m.role === "owner" ? "brand" : "neutral"}>{m.role}</Badge>
                  )}
                </TD>
                {assignable.length > 0 && (
                  <TD className="text-right">
                    {manageable && (
                      <Button variant="ghost" size="sm" onClick={() => removeMember.mutate({ orgSlug, userId: m.userId })}>
                        Remove<span className="sr-only"> {m.name}</span>
                      </Button>
                    )}
                  </TD>
                )}
              </TR>
            );
          })}
        </TBody>
      </Table>
      <InviteDialog orgSlug={orgSlug} assignable={assignable} open={inviting} onClose={() => setInviting(false)} />
    </Card>
  );
}
