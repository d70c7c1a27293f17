// Organizations and memberships. Every read or write of one org's data filters by its id.
import { randomBytes } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../connect";
import { memberships, organizations, users, type OrgRole } from "../schema";

export const orgColumns = {
  id: organizations.id,
  slug: organizations.slug,
  name: organizations.name,
  personal: organizations.personal,
  createdAt: organizations.createdAt,
};

export function slugify(text: string): string {
  const slug = text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 32)
    .replace(/-+$/g, "");
  return slug.length >= 3 ? slug : `org-${slug}`.replace(/-+$/g, "");
}

export async function isSlugTaken(db: Db, slug: string): Promise<boolean> {
  const [row] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, slug));
  return Boolean(row);
}

/** A free slug derived from `base`, with a random suffix if the plain one is taken or reserved. */
export async function uniqueOrgSlug(db: Db, base: string, reserved: ReadonlySet<string> = RESERVED_SLUGS): Promise<string> {
  const root = slugify(base);
  if (!reserved.has(root) && !(await isSlugTaken(db, root))) return root;
  for (;;) {
    const candidate = `${root}-${randomBytes(3).toString("hex")}`;
    if (!(await isSlugTaken(db, candidate))) return candidate;
  }
}

/** Top-level routes an org slug would shadow. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "api", "v1", "contribute", "datanets", "sign-in", "sign-up", "sign-out", "invite", "account", "orgs", "new", "settings",
  "admin", "docs", "health", "static", "public", "_next", "favicon-ico", "robots-txt",
]);

export async function listOrgsForUser(db: Db, userId: string) {
  return db
    .select({ ...orgColumns, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(memberships.orgId, organizations.id))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.personal), asc(organizations.name));
}

/** The org with this slug and the user's role in it, or null if either is missing. */
export async function findMembershipBySlug(db: Db, slug: string, userId: string) {
  const [row] = await db
    .select({ org: orgColumns, role: memberships.role })
    .from(organizations)
    .innerJoin(memberships, and(eq(memberships.orgId, organizations.id), eq(memberships.userId, userId)))
    .where(eq(organizations.slug, slug));
  return row ?? null;
}

export async function createOrg(db: Db, input: { name: string; slug: string; ownerId: string }) {
  return db.transaction(async (tx) => {
    const [org] = await tx.insert(organizations).values({ name: input.name, slug: input.slug }).returning(orgColumns);
    if (!org) throw new Error("organization insert returned no row");
    await tx.insert(memberships).values({ orgId: org.id, userId: input.ownerId, role: "owner" });
    return org;
  });
}

export async function updateOrg(db: Db, orgId: string, patch: { name?: string; slug?: string }) {
  const [row] = await db.update(organizations).set(patch).where(eq(organizations.id, orgId)).returning(orgColumns);
  return row ?? null;
}

export async function deleteOrg(db: Db, orgId: string): Promise<void> {
  await db.delete(organizations).where(eq(organizations.id, orgId));
}

export async function listMembers(db: Db, orgId: string) {
  return db
    .select({
      userId: users.id,
      name: users.name,
      email: users.email,
      walletAddress: users.walletAddress,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(memberships.userId, users.id))
    .where(eq(memberships.orgId, orgId))
    .orderBy(asc(memberships.createdAt));
}

export async function findMemberRole(db: Db, orgId: string, userId: string): Promise<OrgRole | null> {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  return row?.role ?? null;
}

/** Counts owners and locks their rows until the surrounding transaction ends. */
export async function countOwners(db: Db, orgId: string): Promise<number> {
  const rows = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.role, "owner")))
    .for("update");
  return rows.length;
}

export async function addMember(db: Db, orgId: string, userId: string, role: OrgRole): Promise<void> {
  await db.insert(memberships).values({ orgId, userId, role }).onConflictDoNothing();
}

export async function setMemberRole(db: Db, orgId: string, userId: string, role: OrgRole): Promise<void> {
  await db.update(memberships).set({ role }).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}

export async function removeMember(db: Db, orgId: string, userId: string): Promise<void> {
  await db.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}
