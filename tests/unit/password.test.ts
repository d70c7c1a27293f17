import { describe, expect, it } from "vitest";
import { hashPassword, passwordSchema, verifyPassword } from "@/server/auth/password";

const password = "river-stone-7";

describe("hashPassword / verifyPassword", () => {
  it("verifies the password it hashed", async () => {
    const stored = await hashPassword(password);
    expect(stored.startsWith("scrypt$")).toBe(true);
    expect(await verifyPassword(password, stored)).toBe(true);
  });

  it("rejects a wrong password", async () => {
    const stored = await hashPassword(password);
    expect(await verifyPassword("river-stone-8", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("never stores the plain password", async () => {
    const stored = await hashPassword(password);
    expect(stored).not.toContain(password);
    expect(stored).not.toContain(Buffer.from(password).toString("base64"));
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([hashPassword(password), hashPassword(password)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword(password, a)).toBe(true);
    expect(await verifyPassword(password, b)).toBe(true);
  });

  it("returns false for an account without a password", async () => {
    expect(await verifyPassword(password, null)).toBe(false);
  });

  it("returns false for a malformed stored hash", async () => {
    expect(await verifyPassword(password, "plain-text")).toBe(false);
    expect(await verifyPassword(password, "scrypt$16384$8$1$c2FsdA==$dG9vc2hvcnQ=")).toBe(false);
  });
});

describe("passwordSchema", () => {
  const messages = (value: string) => {
    const result = passwordSchema.safeParse(value);
    return result.success ? [] : result.error.issues.map((i) => i.message);
  };

  it("accepts a long password mixing letters and digits", () => {
    expect(messages(password)).toEqual([]);
  });

  it.each([
    ["short1", "Use at least 10 characters."],
    ["a1".repeat(101), "Use at most 200 characters."],
    ["onlyletterspassword", "Mix letters with at least one digit or symbol."],
    ["1234567890", "Mix letters with at least one digit or symbol."],
    ["ab1ab1ab1ab1", "Use at least 5 different characters."],
  ])("rejects %j with “%s”", (value, message) => {
    expect(messages(value)).toContain(message);
  });
});
