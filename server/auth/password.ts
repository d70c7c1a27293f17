// Password hashing with scrypt (Node's crypto), a policy for new passwords, and a
// constant-time check that costs the same whether or not the account exists.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { z } from "zod";

const N = 16384;
const r = 8;
const p = 1;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export const passwordSchema = z
  .string()
  .min(10, "Use at least 10 characters.")
  .max(200, "Use at most 200 characters.")
  .refine((v) => /[a-zA-Z]/.test(v) && /[^a-zA-Z]/.test(v), "Mix letters with at least one digit or symbol.")
  .refine((v) => new Set(v).size >= 5, "Use at least 5 different characters.");

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { N, r, p });
  return ["scrypt", N, r, p, salt.toString("base64"), key.toString("base64")].join("$");
}

// Verified against when the account does not exist, so both paths take the same time.
const dummyHash = hashPassword(randomBytes(16).toString("hex"));

/** True when `password` matches `stored`; `stored` null still spends one scrypt. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const [scheme, n, rr, pp, salt, hash] = (stored ?? (await dummyHash)).split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  if (expected.length !== KEY_LENGTH) return false;
  const actual = await scrypt(password, Buffer.from(salt, "base64"), { N: Number(n), r: Number(rr), p: Number(pp) });
  return timingSafeEqual(actual, expected) && stored !== null;
}
