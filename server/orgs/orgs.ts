// Organization lifecycle and membership changes, with the rules that keep every org owned.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import {
  countOwners,
  createOrg,
  deleteOrg,
  findMemberRole,
  isSlugTaken,
  RESERVED_SLUGS,
  removeMember,
  setMemberRole,
  uniqueOrgSlug,
  updateOrg,
} from "@/server/db/queries/orgs";
import { orgRoles, type OrgRole } from "@/server/db/schema";
import { canManage } from "./roles";

export const orgSlugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/, "Use 3–40 lowercase letters, digits and dashes, not starting or ending with a dash.")
  .refine((s) => !RESERVED_SLUGS.has(s), "This address is reserved. Pick another.");
export const orgNameSchema = z.string().trim().min(2, "Use at least 2 characters.").max(60, "Use at most 60 characters.");
export const roleSchema = z.enum(orgRoles);

export interface OrgContext {
  org: { id: string; slug: string; personal: boolean };
  role: OrgRole;
  userId: string;
}

export const createOrgInput = z.object({ name: orgNameSchema, slug: orgSlugSchema.optional() });

export async function createOrganization(db: Db, userId: string, input: z.infer<typeof createOrgInput>) {
  if (input.slug && (await isSlugTaken(db, input.slug))) {
    throw new TRPCError({ code: "CONFLICT", message: `The address “${input.slug}” is taken. Pick another.` });
  }
  const slug = input.slug ?? (await uniqueOrgSlug(db, input.name));
  return createOrg(db, { name: input.name, slug, ownerId: userId });
}

export const updateOrgInput = z.object({ name: orgNameSchema.optional(), slug: orgSlugSchema.optional() });

export async function updateOrganization(db: Db, ctx: OrgContext, input: z.infer<typeof updateOrgInput>) {
  if (input.slug && input.slug !== ctx.org.slug && (await isSlugTaken(db, input.slug))) {
    throw new TRPCError({ code: "CONFLICT", message: `The address “${input.slug}” is taken. Pick another.` });
  }
  return updateOrg(db, ctx.org.id, input);
}

export async function deleteOrganization(db: Db, ctx: OrgContext) {
  if (ctx.org.personal) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "Your personal workspace cannot be deleted. Rename it instead." });
  }
  await deleteOrg(db, ctx.org.id);
}

/** Call inside a transaction: countOwners locks the owner rows so two demotions cannot race. */
async function assertOwnerRemains(db: Db, orgId: string, currentRole: OrgRole, nextRole: OrgRole | null) {
  if (currentRole === "owner" && nextRole !== "owner" && (await countOwners(db, orgId)) <= 1) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "An organization needs at least one owner. Make someone else an owner first.",
    });
  }
}

async function targetRole(db: Db, ctx: OrgContext, userId: string): Promise<OrgRole> {
  const role = await findMemberRole(db, ctx.org.id, userId);
  if (!role) throw new TRPCError({ code: "NOT_FOUND", message: "This person is not a member of the organization." });
  return role;
}

export const changeRoleInput = z.object({ userId: z.uuid(), role: roleSchema });

export async function changeMemberRole(db: Db, ctx: OrgContext, input: z.infer<typeof changeRoleInput>) {
  const current = await targetRole(db, ctx, input.userId);
  if (!canManage(ctx.role, current) || !canManage(ctx.role, input.role)) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Only owners can grant or change the owner role." });
  }
  await db.transaction(async (tx) => {
    await assertOwnerRemains(tx, ctx.org.id, current, input.role);
    await setMemberRole(tx, ctx.org.id, input.userId, input.role);
  });
}

export const removeMemberInput = z.object({ userId: z.uuid() });

export async function removeOrgMember(db: Db, ctx: OrgContext, input: z.infer<typeof removeMemberInput>) {
  const current = await targetRole(db, ctx, input.userId);
  if (!canManage(ctx.role, current)) throw new TRPCError({ code: "FORBIDDEN", message: "Only owners can remove an owner." });
  await db.transaction(async (tx) => {
    await assertOwnerRemains(tx, ctx.org.id, current, null);
    await removeMember(tx, ctx.org.id, input.userId);
  });
}

export async function leaveOrganization(db: Db, ctx: OrgContext) {
  await db.transaction(async (tx) => {
    await assertOwnerRemains(tx, ctx.org.id, ctx.role, null);
    await removeMember(tx, ctx.org.id, ctx.userId);
  });
}
