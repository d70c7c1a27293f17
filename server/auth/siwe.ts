// Sign-In with Ethereum (EIP-4361): the server builds the message, stores its nonce
// for five minutes, and on the way back checks domain, URI, chain, expiry, signature,
// then spends the nonce so a signed message works once.
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { and, eq, gt, lt } from "drizzle-orm";
import { getAddress, isAddress, isHex, verifyMessage } from "viem";
import { createSiweMessage, parseSiweMessage } from "viem/siwe";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { consumeRateLimit } from "@/server/db/queries/rate-limit";
import { siweNonces } from "@/server/db/schema";

const NONCE_TTL_MS = 5 * 60 * 1000;

export interface SiweSettings {
  appUrl: string;
  chainIds: readonly number[];
}

export const siweChallengeInput = z.object({
  address: z.string().refine((a) => isAddress(a), "Not an Ethereum address."),
  chainId: z.number().int().positive(),
});

export const siweSignedInput = z.object({
  message: z.string().min(1).max(4000),
  signature: z.string().refine((s) => isHex(s), "Signature must be 0x-prefixed hex."),
});
export type SiweSigned = z.infer<typeof siweSignedInput>;

/** Challenges a client may ask for per window: each one stores a nonce row. */
const CHALLENGES_PER_WINDOW = 30;

export async function createSiweChallenge(
  db: Db,
  settings: SiweSettings,
  input: z.infer<typeof siweChallengeInput>,
  clientAddress: string | null,
) {
  const limit = clientAddress
    ? await consumeRateLimit(db, `siwe:ip:${clientAddress}`, CHALLENGES_PER_WINDOW, NONCE_TTL_MS / 1000)
    : null;
  if (limit && !limit.allowed) {
    throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: `Too many wallet sign-in attempts. Try again in ${limit.retryAfterSeconds} seconds.` });
  }
  if (!settings.chainIds.includes(input.chainId)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `Chain ${input.chainId} is not accepted for sign-in. Switch your wallet to one of: ${settings.chainIds.join(", ")}.`,
    });
  }
  const url = new URL(settings.appUrl);
  const nonce = randomBytes(16).toString("hex");
  const issuedAt = new Date();
  const expirationTime = new Date(issuedAt.getTime() + NONCE_TTL_MS);
  await db.delete(siweNonces).where(lt(siweNonces.expiresAt, issuedAt));
  await db.insert(siweNonces).values({ nonce, expiresAt: expirationTime });
  const message = createSiweMessage({
    domain: url.host,
    address: getAddress(input.address),
    statement: "Sign in to Tributary.",
    uri: url.origin,
    version: "1",
    chainId: input.chainId,
    nonce,
    issuedAt,
    expirationTime,
  });
  return { message };
}

function reject(message: string): never {
  throw new TRPCError({ code: "UNAUTHORIZED", message });
}

/** Checks a signed SIWE message and spends its nonce; returns the checksummed address. */
export async function verifySiwe(db: Db, settings: SiweSettings, input: SiweSigned): Promise<`0x${string}`> {
  const url = new URL(settings.appUrl);
  const fields = parseSiweMessage(input.message);
  if (!fields.address || !fields.nonce || !fields.domain || !fields.uri || !fields.chainId) {
    reject("This is not a Sign-In with Ethereum message. Start the wallet sign-in again.");
  }
  if (fields.domain !== url.host) {
    reject(`This message was made for ${fields.domain}, not ${url.host}. Sign in again from ${url.origin}.`);
  }
  if (new URL(fields.uri).origin !== url.origin) {
    reject(`This message names ${fields.uri}, not ${url.origin}. Sign in again from ${url.origin}.`);
  }
  if (!settings.chainIds.includes(fields.chainId)) {
    reject(`Chain ${fields.chainId} is not accepted for sign-in. Switch to one of: ${settings.chainIds.join(", ")}.`);
  }
  if (fields.expirationTime && fields.expirationTime.getTime() < Date.now()) {
    reject("This sign-in request has expired. Start the wallet sign-in again.");
  }
  if (fields.notBefore && fields.notBefore.getTime() > Date.now()) {
    reject("This sign-in request is not valid yet. Check your device's clock and start again.");
  }
  const valid = await verifyMessage({
    address: fields.address,
    message: input.message,
    signature: input.signature as `0x${string}`,
  }).catch(() => false);
  if (!valid) reject("The signature does not match the wallet address in the message.");
  const spent = await db
    .delete(siweNonces)
    .where(and(eq(siweNonces.nonce, fields.nonce), gt(siweNonces.expiresAt, new Date())))
    .returning({ nonce: siweNonces.nonce });
  if (spent.length === 0) reject("This sign-in message was already used or has expired. Start the wallet sign-in again.");
  return getAddress(fields.address);
}
