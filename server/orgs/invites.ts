// Invites by email: a single-use link token (only its hash is stored) valid for 7 days.
// The link is shown to the inviter so it works without a mail server; with SMTP set,
// it is also emailed.
import { createHash, randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import {
  claimInvite,
  deletePendingInvite,
  findInviteByTokenHash,
  insertInvite,
  listPendingInvites,
  rotateInviteToken,
} from "@/server/db/queries/invites";
import { addMember, findMemberRole } from "@/server/db/queries/orgs";
import { emailSchema } from "@/server/auth/accounts";
import { canManage } from "./roles";
import { roleSchema, type OrgContext } from "./orgs";

const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const inviteTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "This invite link is malformed. Ask for a new one.");

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function newToken() {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + INVITE_TTL_MS) };
}

export function inviteUrl(appUrl: string, token: string): string {
  return new URL(`/invite/${token}`, appUrl).toString();
}

export const createInviteInput = z.object({ email: emailSchema, role: roleSchema });

export async function createInvite(db: Db, ctx: OrgContext, input: z.infer<typeof createInviteInput>) {
  if (!canManage(ctx.role, input.role)) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Only owners can invite another owner." });
  }
  const { token, tokenHash, expiresAt } = newToken();
  const invite = await insertInvite(db, { orgId: ctx.org.id, email: input.email, role: input.role, tokenHash, invitedBy: ctx.userId, expiresAt });
  return { invite, token };
}

export async function listInvites(db: Db, ctx: OrgContext) {
  return listPendingInvites(db, ctx.org.id);
}

export const inviteIdInput = z.object({ inviteId: z.uuid() });

/** A fresh link for a pending invite (the old link stops working). */
export async function renewInvite(db: Db, ctx: OrgContext, input: z.infer<typeof inviteIdInput>) {
  const { token, tokenHash, expiresAt } = newToken();
  const invite = await rotateInviteToken(db, ctx.org.id, input.inviteId, tokenHash, expiresAt);
  if (!invite) throw new TRPCError({ code: "NOT_FOUND", message: "This invite no longer exists or was already accepted." });
  return { invite, token };
}

export async function revokeInvite(db: Db, ctx: OrgContext, input: z.infer<typeof inviteIdInput>) {
  if (!(await deletePendingInvite(db, ctx.org.id, input.inviteId))) {
    throw new TRPCError({ code: "NOT_FOUND", message: "This invite no longer exists or was already accepted." });
  }
}

type InviteStatus = "pending" | "expired" | "accepted";

/** What the invite page shows before sign-in: the org, the inviter and whether the link still works. */
export async function previewInvite(db: Db, token: string) {
  const invite = await findInviteByTokenHash(db, hashToken(token));
  if (!invite) throw new TRPCError({ code: "NOT_FOUND", message: "This invite link is not valid. Ask the person who invited you for a new one." });
  const status: InviteStatus = invite.acceptedAt ? "accepted" : invite.expired ? "expired" : "pending";
  return {
    orgName: invite.orgName,
    invitedByName: invite.invitedByName,
    email: invite.email,
    role: invite.role,
    expiresAt: invite.expiresAt,
    status,
  };
}

export async function acceptInvite(db: Db, userId: string, token: string) {
  const invite = await findInviteByTokenHash(db, hashToken(token));
  if (!invite) throw new TRPCError({ code: "NOT_FOUND", message: "This invite link is not valid. Ask the person who invited you for a new one." });
  if (invite.acceptedAt) throw new TRPCError({ code: "BAD_REQUEST", message: "This invite was already used. Ask for a new one." });
  if (invite.expired) throw new TRPCError({ code: "BAD_REQUEST", message: "This invite has expired. Ask for a new one." });
  if (await findMemberRole(db, invite.orgId, userId)) {
    throw new TRPCError({ code: "CONFLICT", message: `You are already a member of ${invite.orgName}.` });
  }
  await db.transaction(async (tx) => {
    if (!(await claimInvite(tx, invite.id, userId))) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "This invite was already used or has expired. Ask for a new one." });
    }
    await addMember(tx, invite.orgId, userId, invite.role);
  });
  return { orgSlug: invite.orgSlug, orgName: invite.orgName };
}
