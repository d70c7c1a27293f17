import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInWithPassword } from "@/server/auth/accounts";
import { memberships, organizations, users } from "@/server/db/schema";
import { callerFor, contextFor, createUser, TEST_PASSWORD, uniqueEmail } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { errorShape, expectTRPCError } from "../helpers/errors";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const limits = { maxAttempts: 3, maxAttemptsPerAddress: 5, windowSeconds: 60 };

describe("account.signUp", () => {
  it("creates the user and a personal org they own", async () => {
    const email = uniqueEmail("ada");
    const { personalOrgSlug } = await callerFor(database.db, null).account.signUp({
      name: "Ada Lovelace",
      email: email.toUpperCase(),
      password: TEST_PASSWORD,
    });

    const [user] = await database.db.select().from(users).where(eq(users.email, email));
    expect(user, "email is stored lower-cased").toBeDefined();
    expect(user!.name).toBe("Ada Lovelace");
    expect(user!.passwordHash).not.toContain(TEST_PASSWORD);

    const rows = await database.db
      .select({ slug: organizations.slug, personal: organizations.personal, role: memberships.role })
      .from(memberships)
      .innerJoin(organizations, eq(memberships.orgId, organizations.id))
      .where(eq(memberships.userId, user!.id));
    expect(rows).toEqual([{ slug: personalOrgSlug, personal: true, role: "owner" }]);
  });

  it("refuses a second account with the same email", async () => {
    const { email } = await createUser(database.db);
    await expectTRPCError(
      callerFor(database.db, null).account.signUp({ name: "Again", email, password: TEST_PASSWORD }),
      "CONFLICT",
      "An account with this email already exists. Sign in instead.",
    );
  });

  it("names the invalid field and lists field errors", async () => {
    const ctx = contextFor(database.db, null);
    const error = await expectTRPCError(
      callerFor(database.db, null).account.signUp({ name: "Bad Email", email: "not-an-email", password: TEST_PASSWORD }),
      "BAD_REQUEST",
    );
    const shape = errorShape(error, "account.signUp", ctx);
    expect(shape.message).toMatch(/^email: Enter a valid email address/);
    expect(shape.data.fieldErrors).toEqual({ email: ["Enter a valid email address, like name@example.org."] });
  });

  it("rejects a weak password with the policy's message", async () => {
    const ctx = contextFor(database.db, null);
    const error = await expectTRPCError(
      callerFor(database.db, null).account.signUp({ name: "Weak", email: uniqueEmail(), password: "short" }),
      "BAD_REQUEST",
    );
    const shape = errorShape(error, "account.signUp", ctx);
    expect(shape.message).toContain("password: Use at least 10 characters.");
    expect(shape.data.fieldErrors?.password).toContain("Use at least 10 characters.");
    expect(shape.data.fieldErrors?.email).toBeUndefined();
  });
});

describe("signInWithPassword", () => {
  it("returns the user for the right password, whatever the email's case", async () => {
    const user = await createUser(database.db);
    const signedIn = await signInWithPassword(database.db, limits, { email: user.email, password: TEST_PASSWORD }, "ip-ok");
    expect(signedIn).toEqual({ id: user.userId, name: user.name, email: user.email });
  });

  it("answers a wrong password and an unknown email alike", async () => {
    const user = await createUser(database.db);
    const wrong = await expectTRPCError(
      signInWithPassword(database.db, limits, { email: user.email, password: "wrong-password-1" }, "ip-wrong"),
      "UNAUTHORIZED",
    );
    const unknown = await expectTRPCError(
      signInWithPassword(database.db, limits, { email: uniqueEmail("nobody"), password: TEST_PASSWORD }, "ip-wrong"),
      "UNAUTHORIZED",
    );
    expect(wrong.message).toBe("Email or password is incorrect.");
    expect(unknown.message).toBe(wrong.message);
  });

  it("locks an email after too many attempts, even with the right password", async () => {
    const user = await createUser(database.db);
    for (let i = 0; i < limits.maxAttempts; i++) {
      // A fresh client address each time: only the email bucket should fill up.
      await expectTRPCError(
        signInWithPassword(database.db, limits, { email: user.email, password: "wrong-password-1" }, `ip-lock-${i}`),
        "UNAUTHORIZED",
      );
    }
    const error = await expectTRPCError(
      signInWithPassword(database.db, limits, { email: user.email, password: TEST_PASSWORD }, "ip-lock-final"),
      "TOO_MANY_REQUESTS",
    );
    expect(error.message).toMatch(/^Too many sign-in attempts\. Try again in 1 minute\(s\)\.$/);
  });

  it("locks a client address across emails", async () => {
    const user = await createUser(database.db);
    for (let i = 0; i < limits.maxAttemptsPerAddress; i++) {
      await expectTRPCError(
        signInWithPassword(database.db, limits, { email: uniqueEmail("spray"), password: "wrong-password-1" }, "ip-spray"),
        "UNAUTHORIZED",
      );
    }
    await expectTRPCError(
      signInWithPassword(database.db, limits, { email: user.email, password: TEST_PASSWORD }, "ip-spray"),
      "TOO_MANY_REQUESTS",
    );
  });

  it("signs in without a known client address, limited per email only", async () => {
    const user = await createUser(database.db);
    for (let i = 0; i < limits.maxAttemptsPerAddress + 1; i++) {
      await expectTRPCError(
        signInWithPassword(database.db, limits, { email: uniqueEmail("noaddr"), password: "wrong-password-1" }, null),
        "UNAUTHORIZED",
      );
    }
    await expect(
      signInWithPassword(database.db, limits, { email: user.email, password: TEST_PASSWORD }, null),
    ).resolves.toMatchObject({ id: user.userId });
  });

  it("clears the email's counter after a successful sign-in", async () => {
    const user = await createUser(database.db);
    const attempt = (password: string, ip: string) =>
      signInWithPassword(database.db, limits, { email: user.email, password }, ip);
    for (let i = 0; i < limits.maxAttempts - 1; i++) {
      await expectTRPCError(attempt("wrong-password-1", `ip-reset-a${i}`), "UNAUTHORIZED");
    }
    await expect(attempt(TEST_PASSWORD, "ip-reset-ok")).resolves.toMatchObject({ id: user.userId });
    // Without the reset, the next attempt would be the fourth in the window.
    for (let i = 0; i < limits.maxAttempts - 1; i++) {
      await expectTRPCError(attempt("wrong-password-1", `ip-reset-b${i}`), "UNAUTHORIZED");
    }
    await expect(attempt(TEST_PASSWORD, "ip-reset-ok2")).resolves.toMatchObject({ id: user.userId });
  });
});

describe("account.changePassword", () => {
  it("needs the current password, then only the new one works", async () => {
    const user = await createUser(database.db);
    const caller = callerFor(database.db, user.userId);
    const newPassword = "new-secret-99";
    await expectTRPCError(
      caller.account.changePassword({ currentPassword: "wrong-password-1", newPassword }),
      "BAD_REQUEST",
      "The current password is incorrect.",
    );
    await caller.account.changePassword({ currentPassword: TEST_PASSWORD, newPassword });
    const attempt = (password: string) => signInWithPassword(database.db, limits, { email: user.email, password }, "ip-change");
    await expect(attempt(newPassword)).resolves.toMatchObject({ id: user.userId });
    await expectTRPCError(attempt(TEST_PASSWORD), "UNAUTHORIZED");
  });
});
