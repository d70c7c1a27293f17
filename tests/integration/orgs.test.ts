import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organizations } from "@/server/db/schema";
import { callerFor, createUser } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { addMemberVia, createOrgWithOwner } from "../helpers/orgs";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const as = (userId: string) => callerFor(database.db, userId);

describe("orgs.create", () => {
  it("derives a slug from the name and makes the creator owner", async () => {
    const user = await createUser(database.db);
    const org = await as(user.userId).orgs.create({ name: "Tide Data Co" });
    expect(org.slug).toMatch(/^tide-data-co(-[0-9a-f]{6})?$/);
    expect(org.personal).toBe(false);
    const mine = await as(user.userId).orgs.list();
    expect(mine).toContainEqual(expect.objectContaining({ id: org.id, role: "owner" }));

    const again = await as(user.userId).orgs.create({ name: "Tide Data Co" });
    expect(again.slug).not.toBe(org.slug);
    expect(again.slug).toMatch(/^tide-data-co-[0-9a-f]{6}$/);
  });

  it("drops accents when deriving a slug", async () => {
    const user = await createUser(database.db);
    const org = await as(user.userId).orgs.create({ name: "Río Café" });
    expect(org.slug).toMatch(/^rio-cafe(-[0-9a-f]{6})?$/);
  });

  it("uses an explicit slug, normalized", async () => {
    const user = await createUser(database.db);
    const org = await as(user.userId).orgs.create({ name: "Explicit", slug: "  Explicit-Slug-1 " });
    expect(org.slug).toBe("explicit-slug-1");
  });

  it("refuses a reserved slug", async () => {
    const user = await createUser(database.db);
    await expectTRPCError(as(user.userId).orgs.create({ name: "Sneaky", slug: "settings" }), "BAD_REQUEST", /reserved/);
  });

  it("never derives a reserved slug from a name", async () => {
    const user = await createUser(database.db);
    const org = await as(user.userId).orgs.create({ name: "Admin" });
    expect(org.slug).toMatch(/^admin-[0-9a-f]{6}$/);
  });

  it("refuses a taken slug", async () => {
    const user = await createUser(database.db);
    await as(user.userId).orgs.create({ name: "First", slug: "taken-slug" });
    await expectTRPCError(as(user.userId).orgs.create({ name: "Second", slug: "taken-slug" }), "CONFLICT", "The address “taken-slug” is taken. Pick another.");
  });

  it("needs a sign-in", async () => {
    await expectTRPCError(callerFor(database.db, null).orgs.create({ name: "Anonymous" }), "UNAUTHORIZED");
  });
});

describe("orgs.get / orgs.update", () => {
  it("lets an admin rename and re-slug the org", async () => {
    const org = await createOrgWithOwner(database.db, "Rename Me");
    const admin = await addMemberVia(database.db, org, "admin");
    expect(await as(admin.userId).orgs.get({ orgSlug: org.slug })).toMatchObject({ name: "Rename Me", role: "admin" });

    const updated = await as(admin.userId).orgs.update({ orgSlug: org.slug, name: "Renamed", slug: "renamed-org" });
    expect(updated).toMatchObject({ name: "Renamed", slug: "renamed-org" });
    await expectTRPCError(as(admin.userId).orgs.get({ orgSlug: org.slug }), "NOT_FOUND");
    expect((await as(admin.userId).orgs.get({ orgSlug: "renamed-org" })).name).toBe("Renamed");
  });

  it("refuses a member", async () => {
    const org = await createOrgWithOwner(database.db, "Members Only");
    const member = await addMemberVia(database.db, org, "member");
    await expectTRPCError(
      as(member.userId).orgs.update({ orgSlug: org.slug, name: "Hijacked" }),
      "FORBIDDEN",
      "This needs the admin role or higher; you are member.",
    );
    const [row] = await database.db.select({ name: organizations.name }).from(organizations).where(eq(organizations.slug, org.slug));
    expect(row?.name).toBe("Members Only");
  });

  it("refuses a slug another org has", async () => {
    const org = await createOrgWithOwner(database.db, "Slug Clash");
    const other = await createOrgWithOwner(database.db, "Slug Holder");
    await expectTRPCError(as(org.owner.userId).orgs.update({ orgSlug: org.slug, slug: other.slug }), "CONFLICT", /is taken/);
  });

  it("answers an unknown slug with NOT_FOUND and says what to do", async () => {
    const user = await createUser(database.db);
    await expectTRPCError(
      as(user.userId).orgs.get({ orgSlug: "no-such-org" }),
      "NOT_FOUND",
      "No organization “no-such-org” among yours. Check the address or ask for an invite.",
    );
  });
});

describe("orgs.members and roles", () => {
  it("lists members with their roles", async () => {
    const org = await createOrgWithOwner(database.db, "Listed");
    const viewer = await addMemberVia(database.db, org, "viewer");
    const members = await as(viewer.userId).orgs.members({ orgSlug: org.slug });
    expect(members.map((m) => ({ userId: m.userId, email: m.email, role: m.role }))).toEqual([
      { userId: org.owner.userId, email: org.owner.email, role: "owner" },
      { userId: viewer.userId, email: viewer.email, role: "viewer" },
    ]);
  });

  it("lets an admin change roles below owner, but not grant or touch owner", async () => {
    const org = await createOrgWithOwner(database.db, "Roles");
    const admin = await addMemberVia(database.db, org, "admin");
    const member = await addMemberVia(database.db, org, "member");

    await as(admin.userId).orgs.changeRole({ orgSlug: org.slug, userId: member.userId, role: "viewer" });
    await expectTRPCError(as(admin.userId).orgs.changeRole({ orgSlug: org.slug, userId: member.userId, role: "owner" }), "FORBIDDEN");
    await expectTRPCError(as(admin.userId).orgs.changeRole({ orgSlug: org.slug, userId: org.owner.userId, role: "member" }), "FORBIDDEN");
    await expectTRPCError(as(admin.userId).orgs.removeMember({ orgSlug: org.slug, userId: org.owner.userId }), "FORBIDDEN");

    const roles = Object.fromEntries((await as(admin.userId).orgs.members({ orgSlug: org.slug })).map((m) => [m.userId, m.role]));
    expect(roles).toEqual({ [org.owner.userId]: "owner", [admin.userId]: "admin", [member.userId]: "viewer" });
  });

  it("refuses to change a member's role for a member", async () => {
    const org = await createOrgWithOwner(database.db, "No Promotions");
    const member = await addMemberVia(database.db, org, "member");
    await expectTRPCError(as(member.userId).orgs.changeRole({ orgSlug: org.slug, userId: member.userId, role: "admin" }), "FORBIDDEN");
  });

  it("keeps the last owner: no demotion, removal or leaving", async () => {
    const org = await createOrgWithOwner(database.db, "Last Owner");
    const owner = as(org.owner.userId);
    const lastOwner = /at least one owner/;
    await expectTRPCError(owner.orgs.changeRole({ orgSlug: org.slug, userId: org.owner.userId, role: "admin" }), "BAD_REQUEST", lastOwner);
    await expectTRPCError(owner.orgs.removeMember({ orgSlug: org.slug, userId: org.owner.userId }), "BAD_REQUEST", lastOwner);
    await expectTRPCError(owner.orgs.leave({ orgSlug: org.slug }), "BAD_REQUEST", lastOwner);
    expect((await owner.orgs.get({ orgSlug: org.slug })).role).toBe("owner");
  });

  it("lets an owner hand over ownership and then step down", async () => {
    const org = await createOrgWithOwner(database.db, "Handover");
    const admin = await addMemberVia(database.db, org, "admin");
    const owner = as(org.owner.userId);
    await owner.orgs.changeRole({ orgSlug: org.slug, userId: admin.userId, role: "owner" });
    await owner.orgs.changeRole({ orgSlug: org.slug, userId: org.owner.userId, role: "member" });
    expect((await owner.orgs.get({ orgSlug: org.slug })).role).toBe("member");
    await expectTRPCError(as(admin.userId).orgs.leave({ orgSlug: org.slug }), "BAD_REQUEST", /at least one owner/);
  });

  it("keeps an owner when two owners demote each other at the same time", async () => {
    const org = await createOrgWithOwner(database.db, "Race");
    const second = await addMemberVia(database.db, org, "admin");
    await as(org.owner.userId).orgs.changeRole({ orgSlug: org.slug, userId: second.userId, role: "owner" });

    const results = await Promise.allSettled([
      as(org.owner.userId).orgs.changeRole({ orgSlug: org.slug, userId: second.userId, role: "member" }),
      as(second.userId).orgs.changeRole({ orgSlug: org.slug, userId: org.owner.userId, role: "member" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const owners = (await as(org.owner.userId).orgs.members({ orgSlug: org.slug })).filter((m) => m.role === "owner");
    expect(owners).toHaveLength(1);
  });

  it("answers NOT_FOUND for a user who is not a member", async () => {
    const org = await createOrgWithOwner(database.db, "Strangers");
    const stranger = await createUser(database.db);
    await expectTRPCError(
      as(org.owner.userId).orgs.changeRole({ orgSlug: org.slug, userId: stranger.userId, role: "member" }),
      "NOT_FOUND",
      /not a member/,
    );
  });
});

describe("orgs.removeMember / orgs.leave / orgs.delete", () => {
  it("lets an admin remove a member, who then loses access", async () => {
    const org = await createOrgWithOwner(database.db, "Removal");
    const admin = await addMemberVia(database.db, org, "admin");
    const member = await addMemberVia(database.db, org, "member");
    await as(admin.userId).orgs.removeMember({ orgSlug: org.slug, userId: member.userId });
    await expectTRPCError(as(member.userId).orgs.get({ orgSlug: org.slug }), "NOT_FOUND");
    expect((await as(admin.userId).orgs.members({ orgSlug: org.slug })).map((m) => m.userId)).not.toContain(member.userId);
  });

  it("lets a member leave", async () => {
    const org = await createOrgWithOwner(database.db, "Leaving");
    const member = await addMemberVia(database.db, org, "member");
    await as(member.userId).orgs.leave({ orgSlug: org.slug });
    expect((await as(member.userId).orgs.list()).map((o) => o.slug)).not.toContain(org.slug);
  });

  it("lets the owner delete an org, but not a personal one, and not an admin", async () => {
    const org = await createOrgWithOwner(database.db, "Doomed");
    const admin = await addMemberVia(database.db, org, "admin");
    await expectTRPCError(as(admin.userId).orgs.delete({ orgSlug: org.slug }), "FORBIDDEN");
    await expectTRPCError(
      as(org.owner.userId).orgs.delete({ orgSlug: org.owner.personalOrgSlug }),
      "BAD_REQUEST",
      /personal workspace cannot be deleted/,
    );
    await as(org.owner.userId).orgs.delete({ orgSlug: org.slug });
    expect(await database.db.select().from(organizations).where(eq(organizations.slug, org.slug))).toEqual([]);
    expect((await as(admin.userId).orgs.list()).map((o) => o.slug)).not.toContain(org.slug);
  });
});
