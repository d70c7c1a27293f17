// Every procedure of the app router, called by people who must not get through:
// signed out, a stranger to the org, and members below the procedure's minimum role.
// New procedures are picked up automatically; a new public one fails until it is
// added to the reviewed allow-list below.
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCaller } from "@/server/api/root";
import type { Context, Meta } from "@/server/api/trpc";
import { invites, orgRoles, organizations, type OrgRole } from "@/server/db/schema";
import { hasRole } from "@/server/orgs/roles";
import { contextFor, createUser, type TestUser } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { addMemberVia, createOrgWithOwner, type TestOrg } from "../helpers/orgs";

const REVIEWED_PUBLIC_PROCEDURES = ["account.signUp", "account.siweChallenge", "datanets.directory", "invites.preview"];

interface Procedure {
  path: string;
  type: string;
  meta: Meta | undefined;
}

// At runtime `_def.procedures` is flat (path → procedure); its static type is the nested router record.
const flatProcedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: Meta } }>;
const procedures: Procedure[] = Object.entries(flatProcedures).map(([path, { _def }]) => ({ path, type: _def.type, meta: _def.meta }));
const nonPublic = procedures.filter((p) => p.meta?.tier !== "public");
const orgTier = procedures.filter((p) => p.meta?.tier === "org");

interface Victim {
  org: TestOrg;
  members: Record<Exclude<OrgRole, "owner">, TestUser>;
  inviteId: string;
  inviteEmail: string;
}

let database: TestDatabase;
let victim: Victim;
let attacker: TestUser;

beforeAll(async () => {
  database = await createTestDatabase();
  const org = await createOrgWithOwner(database.db, "Nightjar Labs");
  // An explicit slug unlike the name, so a leaked name is not hidden by the echoed slug.
  await createCaller(contextFor(database.db, org.owner.userId)).orgs.update({ orgSlug: org.slug, slug: "victim-org" });
  org.slug = "victim-org";
  const members = {
    admin: await addMemberVia(database.db, org, "admin"),
    member: await addMemberVia(database.db, org, "member"),
    viewer: await addMemberVia(database.db, org, "viewer"),
  };
  const inviteEmail = "pending.secret@nightjar.example";
  const { invite } = await createCaller(contextFor(database.db, org.owner.userId)).invites.create({
    orgSlug: org.slug,
    email: inviteEmail,
    role: "member",
  });
  victim = { org, members, inviteId: invite.id, inviteEmail };
  attacker = await createUser(database.db, { name: "Mallory" });
  await createCaller(contextFor(database.db, attacker.userId)).orgs.create({ name: "Mallory Co" });
});
afterAll(async () => {
  await database?.close();
});

/** Inputs that would pass validation and do damage if authorization let them through. */
function damagingInput(path: string): Record<string, unknown> {
  const orgSlug = victim.org.slug;
  const samples: Record<string, Record<string, unknown>> = {
    "orgs.update": { orgSlug, name: "Pwned" },
    "orgs.changeRole": { orgSlug, userId: victim.members.viewer.userId, role: "owner" },
    "orgs.removeMember": { orgSlug, userId: victim.org.owner.userId },
    "invites.create": { orgSlug, email: "mallory@example.org", role: "admin" },
    "invites.renew": { orgSlug, inviteId: victim.inviteId },
    "invites.revoke": { orgSlug, inviteId: victim.inviteId },
    "account.updateProfile": { name: "Pwned" },
    "account.addEmailLogin": { email: "mallory@example.org", password: "correct-horse-42" },
    "account.changePassword": { currentPassword: "x", newPassword: "correct-horse-42" },
    "account.linkWallet": { message: "x", signature: "0x00" },
    "workers.createToken": { orgSlug, name: "mallory's worker" },
    "apiKeys.create": { orgSlug, name: "mallory's app", deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null },
    "finetune.launch": { orgSlug, baseModel: "tiny-llama", datanetVersionIds: [crypto.randomUUID()], taskTemplate: "chat", modelName: "Pwned" },
  };
  return samples[path] ?? { orgSlug };
}

function invoke(ctx: Context, path: string, input: unknown): Promise<unknown> {
  const node = path.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], createCaller(ctx));
  return (node as (input: unknown) => Promise<unknown>)(input);
}

async function errorOf(ctx: Context, path: string, input: unknown): Promise<TRPCError> {
  const outcome = await invoke(ctx, path, input).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`${path} succeeded for a caller it must refuse: ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof TRPCError)) throw new Error(`${path} threw a non-tRPC error: ${String(outcome.error)}`);
  return outcome.error;
}

/** Everything about the victim org that a refused caller must neither learn nor change. */
async function victimSnapshot() {
  const caller = createCaller(contextFor(database.db, victim.org.owner.userId));
  const [org] = await database.db.select({ name: organizations.name, slug: organizations.slug }).from(organizations).where(eq(organizations.slug, victim.org.slug));
  const members = (await caller.orgs.members({ orgSlug: victim.org.slug })).map((m) => ({ userId: m.userId, role: m.role }));
  const [invite] = await database.db.select({ tokenHash: invites.tokenHash, acceptedAt: invites.acceptedAt }).from(invites).where(eq(invites.id, victim.inviteId));
  return { org, members, invite };
}

function victimSecrets(): string[] {
  return [
    "Nightjar",
    victim.inviteEmail,
    victim.org.owner.email,
    victim.org.owner.name,
    ...Object.values(victim.members).flatMap((m) => [m.email, m.name]),
  ];
}

describe("procedure metadata", () => {
  it("declares a tier on every procedure, and a minimum role on every org procedure", () => {
    expect(procedures.length).toBeGreaterThan(0);
    for (const { path, type, meta } of procedures) {
      expect(["query", "mutation"], `${path} is a ${type}; the calls below only cover queries and mutations`).toContain(type);
      expect(["public", "protected", "org"], `${path} has no tier in .meta()`).toContain(meta?.tier);
      if (meta?.tier === "org") expect(orgRoles, `${path} has no minRole`).toContain(meta.minRole);
    }
  });

  it("has only the reviewed public procedures", () => {
    const publicPaths = procedures.filter((p) => p.meta?.tier === "public").map((p) => p.path).sort();
    expect(publicPaths).toEqual([...REVIEWED_PUBLIC_PROCEDURES].sort());
  });
});

describe("signed out", () => {
  it("is refused by every protected and org procedure, before input validation", async () => {
    const ctx = contextFor(database.db, null);
    let checked = 0;
    for (const { path } of nonPublic) {
      for (const input of [undefined, damagingInput(path)]) {
        const error = await errorOf(ctx, path, input);
        expect(error.code, `${path}: ${error.message}`).toBe("UNAUTHORIZED");
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBe(procedures.length - REVIEWED_PUBLIC_PROCEDURES.length);
  });

  it("treats a session for a user who no longer exists as signed out", async () => {
    const ctx = contextFor(database.db, "00000000-0000-4000-8000-000000000000");
    for (const { path } of nonPublic) {
      const error = await errorOf(ctx, path, damagingInput(path));
      expect(error.code, `${path}: ${error.message}`).toBe("UNAUTHORIZED");
    }
  });
});

describe("a signed-in stranger", () => {
  it("is refused by every org procedure of someone else's org, and learns nothing", async () => {
    const before = await victimSnapshot();
    const ctx = contextFor(database.db, attacker.userId);
    let checked = 0;
    for (const { path } of orgTier) {
      for (const input of [{ orgSlug: victim.org.slug }, damagingInput(path)]) {
        const error = await errorOf(ctx, path, input);
        expect(["FORBIDDEN", "NOT_FOUND"], `${path}: ${error.code} ${error.message}`).toContain(error.code);
        for (const secret of victimSecrets()) expect(error.message, `${path} leaks ${secret}`).not.toContain(secret);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    expect(await victimSnapshot()).toEqual(before);
  });

  it("gets the same answer for an org that exists and one that does not", async () => {
    const ctx = contextFor(database.db, attacker.userId);
    const existing = await errorOf(ctx, "orgs.get", { orgSlug: victim.org.slug });
    const missing = await errorOf(ctx, "orgs.get", { orgSlug: "no-such-org-here" });
    expect(existing.code).toBe(missing.code);
    expect(existing.message.replace(victim.org.slug, "SLUG")).toBe(missing.message.replace("no-such-org-here", "SLUG"));
  });
});

describe("members below the minimum role", () => {
  for (const role of ["viewer", "member", "admin"] as const) {
    it(`a ${role} is refused by every org procedure that needs more`, async () => {
      const before = await victimSnapshot();
      const ctx = contextFor(database.db, victim.members[role].userId);
      const above = orgTier.filter((p) => !hasRole(role, p.meta!.minRole!));
      for (const { path, meta } of above) {
        const error = await errorOf(ctx, path, damagingInput(path));
        expect(error.code, `${path}: ${error.message}`).toBe("FORBIDDEN");
        expect(error.message).toBe(`This needs the ${meta!.minRole} role or higher; you are ${role}.`);
      }
      expect(await victimSnapshot()).toEqual(before);
    });
  }

  it("has procedures above viewer and above admin, so the loops above check something", () => {
    const refusedFor = (role: OrgRole) => orgTier.filter((p) => !hasRole(role, p.meta!.minRole!)).length;
    expect(refusedFor("viewer")).toBeGreaterThan(0);
    expect(refusedFor("admin")).toBeGreaterThan(0);
  });
});
