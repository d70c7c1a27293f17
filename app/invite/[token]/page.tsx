import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { AcceptInviteButton } from "@/components/auth/accept-invite-button";
import { Logo } from "@/components/logo";
import { getCaller } from "@/components/trpc/server";
import { buttonClasses, Card, CardBody, EmptyState } from "@/components/ui";
import { currentUserId } from "@/server/auth/options";
import { inviteTokenSchema } from "@/server/orgs/invites";

export const metadata: Metadata = { title: "Invitation" };

export default async function InvitePage({ params }: PageProps<"/invite/[token]">) {
  const { token } = await params;
  const caller = await getCaller();
  const shape = inviteTokenSchema.safeParse(token);
  const [invite, userId] = await Promise.all([
    !shape.success
      ? { problem: shape.error.issues[0]?.message ?? "This invite link is malformed. Ask for a new one." }
      : caller.invites.preview({ token }).catch((error: unknown) => {
      if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) return { problem: error.message };
      throw error;
    }),
    currentUserId(),
  ]);
  return (
    <main className="flex min-h-dvh flex-col items-center px-4 py-10 sm:py-16">
      <Logo />
      <div className="mt-8 w-full max-w-md">
        {"problem" in invite || invite.status !== "pending" ? (
          <EmptyState
            titleAs="h1"
            title={"problem" in invite ? "Invite link not valid" : invite.status === "expired" ? "This invite has expired" : "This invite was already used"}
            description={"problem" in invite ? invite.problem : "Invite links work once and for 7 days. Ask the person who invited you for a new one."}
            action={<Link href="/" className={buttonClasses("secondary")}>Go to Tributary</Link>}
          />
        ) : (
          <Card>
            <CardBody className="space-y-5">
              <div>
                <h1 className="text-xl font-semibold text-gray-900">Join {invite.orgName}</h1>
                <p className="mt-1 text-sm text-gray-600">
                  {invite.invitedByName ?? "An admin"} invited {invite.email} to join as <strong>{invite.role}</strong>.
                </p>
              </div>
              {userId ? (
                <AcceptInviteButton token={token} orgName={invite.orgName} />
              ) : (
                <div className="flex flex-col gap-2 sm:flex-row">
                  <Link href={`/sign-up?invite=${token}&email=${encodeURIComponent(invite.email)}`} className={buttonClasses("primary")}>
                    Create account and join
                  </Link>
                  <Link href={`/sign-in?next=${encodeURIComponent(`/invite/${token}`)}`} className={buttonClasses("secondary")}>
                    I have an account
                  </Link>
                </div>
              )}
            </CardBody>
          </Card>
        )}
      </div>
    </main>
  );
}
