// Users: look-ups by id, email and wallet, creation with a personal org, and profile updates.
import { eq } from "drizzle-orm";
import type { Db } from "../connect";
import { memberships, organizations, users } from "../schema";
import { uniqueOrgSlug } from "./orgs";

export const userColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  walletAddress: users.walletAddress,
  createdAt: users.createdAt,
};

export async function findUserById(db: Db, id: string) {
  const [row] = await db.select(userColumns).from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function findUserByEmail(db: Db, email: string) {
  const [row] = await db
    .select({ ...userColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, email));
  return row ?? null;
}

export async function findUserByWallet(db: Db, walletAddress: string) {
  const [row] = await db.select(userColumns).from(users).where(eq(users.walletAddress, walletAddress));
  return row ?? null;
}

export async function hasPassword(db: Db, userId: string): Promise<boolean> {
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
  return Boolean(row?.passwordHash);
}

/** Creates the user and their personal org (owner) in one transaction. */
export async function createUserWithPersonalOrg(
  db: Db,
  input: { name: string; email: string | null; passwordHash: string | null; walletAddress: string | null },
) {
  return db.transaction(async (tx) => {
    const [user] = await tx.insert(users).values(input).returning(userColumns);
    if (!user) throw new Error("user insert returned no row");
    const slug = await uniqueOrgSlug(tx, input.email?.split("@")[0] ?? input.name);
    const [org] = await tx
      .insert(organizations)
      .values({ slug, name: `${input.name}'s workspace`, personal: true })
      .returning({ id: organizations.id, slug: organizations.slug });
    if (!org) throw new Error("organization insert returned no row");
    await tx.insert(memberships).values({ orgId: org.id, userId: user.id, role: "owner" });
    return { user, personalOrgSlug: org.slug };
  });
}

export async function updateUser(
  db: Db,
  userId: string,
  patch: Partial<{ name: string; email: string; passwordHash: string; walletAddress: string | null }>,
) {
  const [row] = await db.update(users).set(patch).where(eq(users.id, userId)).returning(userColumns);
  return row ?? null;
}
