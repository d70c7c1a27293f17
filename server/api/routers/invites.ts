// Invites: admins create, renew and revoke them; anyone with the link previews it;
// a signed-in user accepts it.
import { z } from "zod";
import {
  acceptInvite,
  createInvite,
  createInviteInput,
  inviteIdInput,
  inviteTokenSchema,
  inviteUrl,
  listInvites,
  previewInvite,
  renewInvite,
  revokeInvite,
} from "@/server/orgs/invites";
import { orgProcedure, protectedProcedure, publicProcedure, router, type Context } from "../trpc";

/** The link to show the inviter, and whether it was also emailed. */
async function deliver(ctx: Context, orgName: string, email: string, token: string) {
  const url = inviteUrl(ctx.appUrl, token);
  if (!ctx.mailer) return { url, emailed: false };
  try {
    await ctx.mailer.send({
      to: email,
      subject: `You are invited to ${orgName} on Tributary`,
      text: `Join ${orgName} on Tributary: ${url}\n\nThe link works once and expires in 7 days.`,
    });
    return { url, emailed: true };
  } catch (error) {
    console.error("invite email failed:", error instanceof Error ? error.message : error);
    return { url, emailed: false };
  }
}

const tokenInput = z.object({ token: inviteTokenSchema });

export const invitesRouter = router({
  list: orgProcedure("admin").query(({ ctx }) => listInvites(ctx.db, ctx)),
  create: orgProcedure("admin")
    .input(createInviteInput)
    .mutation(async ({ ctx, input }) => {
      const { invite, token } = await createInvite(ctx.db, ctx, input);
      return { invite, ...(await deliver(ctx, ctx.org.name, invite.email, token)) };
    }),
  renew: orgProcedure("admin")
    .input(inviteIdInput)
    .mutation(async ({ ctx, input }) => {
      const { invite, token } = await renewInvite(ctx.db, ctx, input);
      return { invite, ...(await deliver(ctx, ctx.org.name, invite.email, token)) };
    }),
  revoke: orgProcedure("admin")
    .input(inviteIdInput)
    .mutation(({ ctx, input }) => revokeInvite(ctx.db, ctx, input)),
  preview: publicProcedure.input(tokenInput).query(({ ctx, input }) => previewInvite(ctx.db, input.token)),
  accept: protectedProcedure.input(tokenInput).mutation(({ ctx, input }) => acceptInvite(ctx.db, ctx.userId, input.token)),
});
