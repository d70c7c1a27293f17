import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { invites } from "@/server/db/schema";
import { createMailer } from "@/server/mail";
import { callerFor, createUser } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { addMemberVia, createOrgWithOwner, tokenFromUrl, type TestOrg } from "../helpers/orgs";
import { startSmtpServer } from "../helpers/smtp";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const as = (userId: string | null) => callerFor(database.db, userId);

async function invite(org: TestOrg, email: string, role: "admin" | "member" | "viewer" = "member") {
  const result = await as(org.owner.userId).invites.create({ orgSlug: org.slug, email, role });
  return { ...result, token: tokenFromUrl(result.url) };
}

async function roleOf(orgSlug: string, userId: string) {
  const orgs = await as(userId).orgs.list();
  return orgs.find((o) => o.slug === orgSlug)?.role ?? null;
}

describe("invites.create and invites.preview", () => {
  it("returns a link with a token and lists the invite as pending", async () => {
    const org = await createOrgWithOwner(database.db, "Inviters");
    const result = await invite(org, "New.Person@Example.org", "viewer");
    expect(result.url).toMatch(/^http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]{43}$/);
    expect(result.emailed).toBe(false);
    expect(result.invite).toMatchObject({ email: "new.person@example.org", role: "viewer", acceptedAt: null });

    const pending = await as(org.owner.userId).invites.list({ orgSlug: org.slug });
    expect(pending.map((i) => i.id)).toEqual([result.invite.id]);

    const [row] = await database.db.select({ tokenHash: invites.tokenHash }).from(invites).where(eq(invites.id, result.invite.id));
    expect(row?.tokenHash, "only the hash is stored").not.toContain(result.token);
  });

  it("shows the org, inviter and status to anyone with the link", async () => {
    const org = await createOrgWithOwner(database.db, "Previewed Org");
    const { token } = await invite(org, "guest@example.org", "member");
    const preview = await as(null).invites.preview({ token });
    expect(preview).toMatchObject({
      orgName: "Previewed Org",
      invitedByName: org.owner.name,
      email: "guest@example.org",
      role: "member",
      status: "pending",
    });
  });

  it("answers an unknown token with NOT_FOUND and a malformed one with BAD_REQUEST", async () => {
    await expectTRPCError(as(null).invites.preview({ token: "A".repeat(43) }), "NOT_FOUND", /not valid/);
    await expectTRPCError(as(null).invites.preview({ token: "not-a-token" }), "BAD_REQUEST", /malformed/);
    const user = await createUser(database.db);
    await expectTRPCError(as(user.userId).invites.accept({ token: "../../etc/passwd" }), "BAD_REQUEST", /malformed/);
  });

  it("refuses a member who is not an admin", async () => {
    const org = await createOrgWithOwner(database.db, "Strict");
    const member = await addMemberVia(database.db, org, "member");
    await expectTRPCError(
      as(member.userId).invites.create({ orgSlug: org.slug, email: "friend@example.org", role: "viewer" }),
      "FORBIDDEN",
    );
  });

  it("lets an owner but not an admin invite an owner", async () => {
    const org = await createOrgWithOwner(database.db, "Owner Invites");
    const admin = await addMemberVia(database.db, org, "admin");
    await expectTRPCError(
      as(admin.userId).invites.create({ orgSlug: org.slug, email: "boss@example.org", role: "owner" }),
      "FORBIDDEN",
      "Only owners can invite another owner.",
    );
    await expect(as(admin.userId).invites.create({ orgSlug: org.slug, email: "peer@example.org", role: "admin" })).resolves.toBeDefined();
    const owned = await as(org.owner.userId).invites.create({ orgSlug: org.slug, email: "boss@example.org", role: "owner" });
    expect(owned.invite.role).toBe("owner");
  });
});

describe("invites.accept", () => {
  it("makes the user a member with the invite's role, once", async () => {
    const org = await createOrgWithOwner(database.db, "Joinable");
    const user = await createUser(database.db);
    const { token, invite: created } = await invite(org, user.email, "viewer");

    expect(await as(user.userId).invites.accept({ token })).toEqual({ orgSlug: org.slug, orgName: "Joinable" });
    expect(await roleOf(org.slug, user.userId)).toBe("viewer");
    expect((await as(null).invites.preview({ token })).status).toBe("accepted");
    expect(await as(org.owner.userId).invites.list({ orgSlug: org.slug })).toEqual([]);

    const [row] = await database.db.select({ acceptedBy: invites.acceptedBy }).from(invites).where(eq(invites.id, created.id));
    expect(row?.acceptedBy).toBe(user.userId);

    const other = await createUser(database.db);
    await expectTRPCError(as(other.userId).invites.accept({ token }), "BAD_REQUEST", /already used/);
    expect(await roleOf(org.slug, other.userId)).toBeNull();
  });

  it("lets only one of two simultaneous accepts through", async () => {
    const org = await createOrgWithOwner(database.db, "Contended");
    const [a, b] = await Promise.all([createUser(database.db), createUser(database.db)]);
    const { token } = await invite(org, a.email);
    const results = await Promise.allSettled([a, b].map((u) => as(u.userId).invites.accept({ token })));
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const joined = (await as(org.owner.userId).orgs.members({ orgSlug: org.slug })).filter((m) => m.role !== "owner");
    expect(joined).toHaveLength(1);
  });

  it("refuses an expired invite", async () => {
    const org = await createOrgWithOwner(database.db, "Expiring");
    const user = await createUser(database.db);
    const { token, invite: created } = await invite(org, user.email);
    await database.db.update(invites).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(invites.id, created.id));

    expect((await as(null).invites.preview({ token })).status).toBe("expired");
    await expectTRPCError(as(user.userId).invites.accept({ token }), "BAD_REQUEST", /expired/);
    expect(await roleOf(org.slug, user.userId)).toBeNull();
  });

  it("refuses someone who is already a member", async () => {
    const org = await createOrgWithOwner(database.db, "Already In");
    const { token } = await invite(org, "someone@example.org");
    await expectTRPCError(as(org.owner.userId).invites.accept({ token }), "CONFLICT", /already a member of Already In/);
    expect(await roleOf(org.slug, org.owner.userId)).toBe("owner");
  });

  it("needs a sign-in", async () => {
    const org = await createOrgWithOwner(database.db, "Signed Out");
    const { token } = await invite(org, "someone@example.org");
    await expectTRPCError(as(null).invites.accept({ token }), "UNAUTHORIZED");
  });
});

describe("invites.renew and invites.revoke", () => {
  it("renew gives a new link and kills the old one, even for an expired invite", async () => {
    const org = await createOrgWithOwner(database.db, "Renewals");
    const user = await createUser(database.db);
    const first = await invite(org, user.email, "admin");
    await database.db.update(invites).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(invites.id, first.invite.id));

    const renewed = await as(org.owner.userId).invites.renew({ orgSlug: org.slug, inviteId: first.invite.id });
    const token = tokenFromUrl(renewed.url);
    expect(token).not.toBe(first.token);
    expect(renewed.invite.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);

    await expectTRPCError(as(null).invites.preview({ token: first.token }), "NOT_FOUND");
    await expectTRPCError(as(user.userId).invites.accept({ token: first.token }), "NOT_FOUND");
    await as(user.userId).invites.accept({ token });
    expect(await roleOf(org.slug, user.userId)).toBe("admin");

    await expectTRPCError(as(org.owner.userId).invites.renew({ orgSlug: org.slug, inviteId: first.invite.id }), "NOT_FOUND", /already accepted/);
  });

  it("revoke deletes a pending invite", async () => {
    const org = await createOrgWithOwner(database.db, "Revocations");
    const { token, invite: created } = await invite(org, "gone@example.org");
    await as(org.owner.userId).invites.revoke({ orgSlug: org.slug, inviteId: created.id });
    await expectTRPCError(as(null).invites.preview({ token }), "NOT_FOUND");
    expect(await as(org.owner.userId).invites.list({ orgSlug: org.slug })).toEqual([]);
    await expectTRPCError(as(org.owner.userId).invites.revoke({ orgSlug: org.slug, inviteId: created.id }), "NOT_FOUND");
  });

  it("never touches another org's invite", async () => {
    const victim = await createOrgWithOwner(database.db, "Victim Invites");
    const attacker = await createOrgWithOwner(database.db, "Attacker Invites");
    const { token, invite: created } = await invite(victim, "target@example.org");
    const caller = as(attacker.owner.userId);
    await expectTRPCError(caller.invites.renew({ orgSlug: attacker.slug, inviteId: created.id }), "NOT_FOUND");
    await expectTRPCError(caller.invites.revoke({ orgSlug: attacker.slug, inviteId: created.id }), "NOT_FOUND");
    expect((await as(null).invites.preview({ token })).status).toBe("pending");
    const pending = await as(victim.owner.userId).invites.list({ orgSlug: victim.slug });
    expect(pending.map((i) => i.id)).toEqual([created.id]);
  });
});

describe("invite email", () => {
  it("sends the link to the invitee through SMTP", async () => {
    const smtp = await startSmtpServer();
    try {
      const org = await createOrgWithOwner(database.db, "Mailing Org");
      const mailer = createMailer(smtp.url, "Tributary <noreply@tributary.test>");
      const result = await callerFor(database.db, org.owner.userId, { mailer }).invites.create({
        orgSlug: org.slug,
        email: "mail.me@example.org",
        role: "member",
      });
      expect(result.emailed).toBe(true);
      expect(smtp.messages).toHaveLength(1);
      const [mail] = smtp.messages;
      expect(mail!.to).toEqual(["mail.me@example.org"]);
      expect(mail!.from).toBe("noreply@tributary.test");
      expect(mail!.headers).toMatch(/^Subject: You are invited to Mailing Org on Tributary$/m);
      expect(mail!.body).toContain(result.url);

      const renewed = await callerFor(database.db, org.owner.userId, { mailer }).invites.renew({
        orgSlug: org.slug,
        inviteId: result.invite.id,
      });
      expect(renewed.emailed).toBe(true);
      expect(smtp.messages[1]?.body).toContain(renewed.url);
    } finally {
      await smtp.close();
    }
  });

  it("still returns the link when the mail server is down", async () => {
    const smtp = await startSmtpServer();
    const url = smtp.url;
    await smtp.close();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const org = await createOrgWithOwner(database.db, "Offline Mail");
      const mailer = createMailer(url, "noreply@tributary.test");
      const result = await callerFor(database.db, org.owner.userId, { mailer }).invites.create({
        orgSlug: org.slug,
        email: "later@example.org",
        role: "member",
      });
      expect(result.emailed).toBe(false);
      expect(result.url).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
      expect(errors).toHaveBeenCalledWith("invite email failed:", expect.any(String));
    } finally {
      errors.mockRestore();
    }
  });
});
