// Invites: stored with the sha256 of their link token, single use, expiring.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../connect";
import { invites, organizations, users, type OrgRole } from "../schema";

const inviteColumns = {
  id: invites.id,
  email: invites.email,
  role: invites.role,
  expiresAt: invites.expiresAt,
  expired: sql<boolean>`${invites.expiresAt} <= now()`,
  acceptedAt: invites.acceptedAt,
  createdAt: invites.createdAt,
};

export async function insertInvite(
  db: Db,
  input: { orgId: string; email: string; role: OrgRole; tokenHash: string; invitedBy: string; expiresAt: Date },
) {
  const [row] = await db.insert(invites).values(input).returning(inviteColumns);
  if (!row) throw new Error("invite insert returned no row");
  return row;
}

export async function listPendingInvites(db: Db, orgId: string) {
  return db
    .select(inviteColumns)
    .from(invites)
    .where(and(eq(invites.orgId, orgId), isNull(invites.acceptedAt)))
    .orderBy(desc(invites.createdAt));
}

/** Replaces the token of a pending invite of this org; null if there is none. */
export async function rotateInviteToken(db: Db, orgId: string, inviteId: string, tokenHash: string, expiresAt: Date) {
  const [row] = await db
    .update(invites)
    .set({ tokenHash, expiresAt })
    .where(and(eq(invites.id, inviteId), eq(invites.orgId, orgId), isNull(invites.acceptedAt)))
    .returning(inviteColumns);
  return row ?? null;
}

export async function deletePendingInvite(db: Db, orgId: string, inviteId: string): Promise<boolean> {
  const rows = await db
    .delete(invites)
    .where(and(eq(invites.id, inviteId), eq(invites.orgId, orgId), isNull(invites.acceptedAt)))
    .returning({ id: invites.id });
  return rows.length > 0;
}

export async function findInviteByTokenHash(db: Db, tokenHash: string) {
  const [row] = await db
    .select({
      ...inviteColumns,
      orgId: invites.orgId,
      orgName: organizations.name,
      orgSlug: organizations.slug,
      invitedByName: users.name,
    })
    .from(invites)
    .innerJoin(organizations, eq(invites.orgId, organizations.id))
    .leftJoin(users, eq(invites.invitedBy, users.id))
    .where(eq(invites.tokenHash, tokenHash));
  return row ?? null;
}

/** Marks the invite used if it is still pending and unexpired; false if another request won. */
export async function claimInvite(db: Db, inviteId: string, userId: string): Promise<boolean> {
  const rows = await db
    .update(invites)
    .set({ acceptedAt: sql`now()`, acceptedBy: userId })
    .where(and(eq(invites.id, inviteId), isNull(invites.acceptedAt), sql`${invites.expiresAt} > now()`))
    .returning({ id: invites.id });
  return rows.length > 0;
}
