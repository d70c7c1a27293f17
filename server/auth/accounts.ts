// Account operations behind sign-up, sign-in and the account page. Errors are typed
// (TRPCError) with messages a person can act on; next-auth surfaces the same text.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { consumeRateLimit, resetRateLimit } from "@/server/db/queries/rate-limit";
import {
  createUserWithPersonalOrg,
  findUserByEmail,
  findUserById,
  findUserByWallet,
  hasPassword,
  updateUser,
} from "@/server/db/queries/users";
import { hashPassword, passwordSchema, verifyPassword } from "./password";
import { verifySiwe, type SiweSettings, type SiweSigned } from "./siwe";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("Enter a valid email address, like name@example.org.").max(254));

export const nameSchema = z.string().trim().min(1, "Enter your name.").max(80, "Use at most 80 characters.");

export const signUpInput = z.object({ name: nameSchema, email: emailSchema, password: passwordSchema });
export const signInInput = z.object({ email: emailSchema, password: z.string().min(1, "Enter your password.").max(200) });

export interface RateLimitSettings {
  maxAttempts: number;
  maxAttemptsPerAddress: number;
  windowSeconds: number;
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "23505") return true;
  }
  return false;
}

export async function signUp(db: Db, input: z.infer<typeof signUpInput>) {
  if (await findUserByEmail(db, input.email)) {
    throw new TRPCError({ code: "CONFLICT", message: "An account with this email already exists. Sign in instead." });
  }
  try {
    return await createUserWithPersonalOrg(db, {
      name: input.name,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      walletAddress: null,
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new TRPCError({ code: "CONFLICT", message: "An account with this email already exists. Sign in instead." });
    }
    throw error;
  }
}

/**
 * Email + password sign-in, limited per email and per client address. The same
 * message answers a wrong password and an unknown email.
 */
export async function signInWithPassword(
  db: Db,
  limits: RateLimitSettings,
  input: z.infer<typeof signInInput>,
  clientAddress: string | null,
) {
  const buckets: [string, number][] = [[`signin:email:${input.email}`, limits.maxAttempts]];
  if (clientAddress) buckets.push([`signin:ip:${clientAddress}`, limits.maxAttemptsPerAddress]);
  for (const [key, max] of buckets) {
    const limit = await consumeRateLimit(db, key, max, limits.windowSeconds);
    if (!limit.allowed) {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `Too many sign-in attempts. Try again in ${Math.ceil(limit.retryAfterSeconds / 60)} minute(s).`,
      });
    }
  }
  const user = await findUserByEmail(db, input.email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
  if (!user || !ok) throw new TRPCError({ code: "UNAUTHORIZED", message: "Email or password is incorrect." });
  await resetRateLimit(db, `signin:email:${input.email}`);
  return { id: user.id, name: user.name, email: user.email };
}

function shortAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** Wallet sign-in: an existing wallet account, or a new one with its own personal org. */
export async function signInWithWallet(db: Db, settings: SiweSettings, input: SiweSigned) {
  const address = await verifySiwe(db, settings, input);
  const existing = await findUserByWallet(db, address);
  if (existing) return existing;
  const { user } = await createUserWithPersonalOrg(db, {
    name: shortAddress(address),
    email: null,
    passwordHash: null,
    walletAddress: address,
  });
  return user;
}

/** Links the signing wallet to the user; it becomes their payout address. */
export async function linkWallet(db: Db, settings: SiweSettings, userId: string, input: SiweSigned) {
  const address = await verifySiwe(db, settings, input);
  const owner = await findUserByWallet(db, address);
  if (owner && owner.id !== userId) {
    throw new TRPCError({ code: "CONFLICT", message: `Wallet ${shortAddress(address)} is already linked to another account.` });
  }
  return updateUser(db, userId, { walletAddress: address });
}

export async function unlinkWallet(db: Db, userId: string) {
  const user = await findUserById(db, userId);
  if (!user?.email || !(await hasPassword(db, userId))) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "Add an email and password first: without a wallet they are the only way to sign in.",
    });
  }
  return updateUser(db, userId, { walletAddress: null });
}

export const setEmailInput = z.object({ email: emailSchema, password: passwordSchema });

/** Adds an email and password to a wallet-only account. */
export async function addEmailLogin(db: Db, userId: string, input: z.infer<typeof setEmailInput>) {
  const user = await findUserById(db, userId);
  if (user?.email) throw new TRPCError({ code: "BAD_REQUEST", message: "This account already has an email address." });
  const taken = await findUserByEmail(db, input.email);
  if (taken) throw new TRPCError({ code: "CONFLICT", message: "Another account already uses this email address." });
  try {
    return await updateUser(db, userId, { email: input.email, passwordHash: await hashPassword(input.password) });
  } catch (error) {
    if (isUniqueViolation(error)) throw new TRPCError({ code: "CONFLICT", message: "Another account already uses this email address." });
    throw error;
  }
}

export const changePasswordInput = z.object({ currentPassword: z.string().min(1).max(200), newPassword: passwordSchema });

export async function changePassword(db: Db, userId: string, input: z.infer<typeof changePasswordInput>) {
  const user = await findUserById(db, userId);
  const stored = user?.email ? await findUserByEmail(db, user.email) : null;
  if (!stored || !(await verifyPassword(input.currentPassword, stored.passwordHash))) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "The current password is incorrect." });
  }
  await updateUser(db, userId, { passwordHash: await hashPassword(input.newPassword) });
}
