// Sets up an org with members in given roles, the way users would: invite, then accept.
import type { OrgRole } from "@/server/db/schema";
import type { Db } from "@/server/db/connect";
import { callerFor, createUser, type TestUser } from "./context";

export interface TestOrg {
  slug: string;
  name: string;
  owner: TestUser;
}

export async function createOrgWithOwner(db: Db, name: string): Promise<TestOrg> {
  const owner = await createUser(db);
  const org = await callerFor(db, owner.userId).orgs.create({ name });
  return { slug: org.slug, name: org.name, owner };
}

/** A new user who joined `org` with `role` through an invite from its owner. */
export async function addMemberVia(db: Db, org: TestOrg, role: OrgRole): Promise<TestUser> {
  const user = await createUser(db);
  const { url } = await callerFor(db, org.owner.userId).invites.create({ orgSlug: org.slug, email: user.email, role });
  await callerFor(db, user.userId).invites.accept({ token: tokenFromUrl(url) });
  return user;
}

export function tokenFromUrl(url: string): string {
  const token = new URL(url).pathname.split("/").pop();
  if (!token) throw new Error(`no token in invite url ${url}`);
  return token;
}
