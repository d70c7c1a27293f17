import { eq } from "drizzle-orm";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage, parseSiweMessage } from "viem/siwe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInInput, signInWithPassword, signInWithWallet } from "@/server/auth/accounts";
import { memberships, organizations, siweNonces, users } from "@/server/db/schema";
import { callerFor, createUser, TEST_APP_URL, TEST_CHAIN_IDS, TEST_PASSWORD, uniqueEmail } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const settings = { appUrl: TEST_APP_URL, chainIds: TEST_CHAIN_IDS };

function newWallet(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey());
}

async function challenge(address: string, chainId = 1): Promise<string> {
  const { message } = await callerFor(database.db, null).account.siweChallenge({ address, chainId });
  return message;
}

/** A challenge from the server, signed by `wallet`. */
async function signedChallenge(wallet: PrivateKeyAccount, signer: PrivateKeyAccount = wallet) {
  const message = await challenge(wallet.address);
  return { message, signature: await signer.signMessage({ message }) };
}

function nonceOf(message: string): string {
  const { nonce } = parseSiweMessage(message);
  if (!nonce) throw new Error(`no nonce in ${message}`);
  return nonce;
}

describe("account.siweChallenge", () => {
  it("builds a message for this app's host, the wallet and the chain, and stores its nonce", async () => {
    const wallet = newWallet();
    const message = await challenge(wallet.address.toLowerCase(), 31337);
    const fields = parseSiweMessage(message);
    expect(fields).toMatchObject({ domain: "localhost:3000", uri: "http://localhost:3000", address: wallet.address, chainId: 31337 });
    const [row] = await database.db.select().from(siweNonces).where(eq(siweNonces.nonce, nonceOf(message)));
    expect(row?.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses a chain the app does not accept", async () => {
    await expectTRPCError(
      callerFor(database.db, null).account.siweChallenge({ address: newWallet().address, chainId: 5 }),
      "BAD_REQUEST",
      /Chain 5 is not accepted.*1, 31337/,
    );
  });
});

describe("signInWithWallet", () => {
  it("creates a wallet user with a personal org, then finds the same user again", async () => {
    const wallet = newWallet();
    const first = await signInWithWallet(database.db, settings, await signedChallenge(wallet));
    expect(first.walletAddress).toBe(wallet.address);
    expect(first.email).toBeNull();

    const orgs = await database.db
      .select({ personal: organizations.personal, role: memberships.role })
      .from(memberships)
      .innerJoin(organizations, eq(memberships.orgId, organizations.id))
      .where(eq(memberships.userId, first.id));
    expect(orgs).toEqual([{ personal: true, role: "owner" }]);

    const second = await signInWithWallet(database.db, settings, await signedChallenge(wallet));
    expect(second.id).toBe(first.id);
    const rows = await database.db.select({ id: users.id }).from(users).where(eq(users.walletAddress, wallet.address));
    expect(rows).toHaveLength(1);
  });

  it("accepts a signed message once", async () => {
    const signed = await signedChallenge(newWallet());
    await signInWithWallet(database.db, settings, signed);
    await expectTRPCError(signInWithWallet(database.db, settings, signed), "UNAUTHORIZED", /already used/);
  });

  it("rejects a message made for another domain without spending the nonce", async () => {
    const wallet = newWallet();
    const real = await challenge(wallet.address);
    const now = new Date();
    const message = createSiweMessage({
      domain: "evil.example",
      address: wallet.address,
      uri: "https://evil.example",
      version: "1",
      chainId: 1,
      nonce: nonceOf(real),
      issuedAt: now,
      expirationTime: new Date(now.getTime() + 60_000),
    });
    const signature = await wallet.signMessage({ message });
    await expectTRPCError(signInWithWallet(database.db, settings, { message, signature }), "UNAUTHORIZED", /evil\.example/);
    // The honest message with the same nonce still works.
    const user = await signInWithWallet(database.db, settings, { message: real, signature: await wallet.signMessage({ message: real }) });
    expect(user.walletAddress).toBe(wallet.address);
  });

  it("rejects a message whose URI points elsewhere", async () => {
    const wallet = newWallet();
    const message = (await challenge(wallet.address)).replace("URI: http://localhost:3000", "URI: https://evil.example");
    await expectTRPCError(
      signInWithWallet(database.db, settings, { message, signature: await wallet.signMessage({ message }) }),
      "UNAUTHORIZED",
      /evil\.example/,
    );
  });

  it("rejects a signature from a different key", async () => {
    const wallet = newWallet();
    await expectTRPCError(
      signInWithWallet(database.db, settings, await signedChallenge(wallet, newWallet())),
      "UNAUTHORIZED",
      /signature does not match/,
    );
    expect(await database.db.select().from(users).where(eq(users.walletAddress, wallet.address))).toEqual([]);
  });

  it("rejects a message altered after signing", async () => {
    const wallet = newWallet();
    const signed = await signedChallenge(wallet);
    const message = signed.message.replace("Sign in to Tributary.", "Sign in to Tributary!");
    await expectTRPCError(signInWithWallet(database.db, settings, { ...signed, message }), "UNAUTHORIZED", /signature does not match/);
  });

  it("rejects a nonce that expired in the database", async () => {
    const signed = await signedChallenge(newWallet());
    await database.db
      .update(siweNonces)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(siweNonces.nonce, nonceOf(signed.message)));
    await expectTRPCError(signInWithWallet(database.db, settings, signed), "UNAUTHORIZED", /expired/);
  });

  it("rejects a message past its expiration time", async () => {
    const wallet = newWallet();
    const issuedAt = new Date(Date.now() - 10 * 60_000);
    const message = createSiweMessage({
      domain: "localhost:3000",
      address: wallet.address,
      uri: TEST_APP_URL,
      version: "1",
      chainId: 1,
      nonce: nonceOf(await challenge(wallet.address)),
      issuedAt,
      expirationTime: new Date(issuedAt.getTime() + 60_000),
    });
    await expectTRPCError(
      signInWithWallet(database.db, settings, { message, signature: await wallet.signMessage({ message }) }),
      "UNAUTHORIZED",
      /expired/,
    );
  });

  it("rejects a nonce the server never issued", async () => {
    const wallet = newWallet();
    const message = createSiweMessage({
      domain: "localhost:3000",
      address: wallet.address,
      uri: TEST_APP_URL,
      version: "1",
      chainId: 1,
      nonce: "madeupnonce12345",
    });
    await expectTRPCError(
      signInWithWallet(database.db, settings, { message, signature: await wallet.signMessage({ message }) }),
      "UNAUTHORIZED",
      /already used or has expired/,
    );
  });

  it("rejects text that is not a SIWE message", async () => {
    const wallet = newWallet();
    const message = "hello";
    await expectTRPCError(
      signInWithWallet(database.db, settings, { message, signature: await wallet.signMessage({ message }) }),
      "UNAUTHORIZED",
      /not a Sign-In with Ethereum message/,
    );
  });
});

describe("account.linkWallet", () => {
  it("links the signing wallet to an email user", async () => {
    const user = await createUser(database.db);
    const wallet = newWallet();
    const updated = await callerFor(database.db, user.userId).account.linkWallet(await signedChallenge(wallet));
    expect(updated).toMatchObject({ id: user.userId, walletAddress: wallet.address });
    const me = await callerFor(database.db, user.userId).account.me();
    expect(me.walletAddress).toBe(wallet.address);
  });

  it("refuses a wallet already linked to another user", async () => {
    const wallet = newWallet();
    const owner = await signInWithWallet(database.db, settings, await signedChallenge(wallet));
    const other = await createUser(database.db);
    await expectTRPCError(
      callerFor(database.db, other.userId).account.linkWallet(await signedChallenge(wallet)),
      "CONFLICT",
      /already linked to another account/,
    );
    const [row] = await database.db.select({ walletAddress: users.walletAddress }).from(users).where(eq(users.id, other.userId));
    expect(row?.walletAddress).toBeNull();
    expect(owner.walletAddress).toBe(wallet.address);
  });
});

describe("account.addEmailLogin", () => {
  it("adds an email and password to a wallet-only user, who can then sign in with them", async () => {
    const walletUser = await signInWithWallet(database.db, settings, await signedChallenge(newWallet()));
    const caller = callerFor(database.db, walletUser.id);
    expect((await caller.account.me()).hasPassword).toBe(false);

    const email = uniqueEmail("wallet");
    const updated = await caller.account.addEmailLogin({ email, password: TEST_PASSWORD });
    expect(updated).toMatchObject({ id: walletUser.id, email });
    expect((await caller.account.me()).hasPassword).toBe(true);

    const limits = { maxAttempts: 5, maxAttemptsPerAddress: 50, windowSeconds: 60 };
    const signedIn = await signInWithPassword(database.db, limits, signInInput.parse({ email, password: TEST_PASSWORD }), "siwe-test");
    expect(signedIn.id).toBe(walletUser.id);

    await expectTRPCError(caller.account.addEmailLogin({ email: uniqueEmail(), password: TEST_PASSWORD }), "BAD_REQUEST", /already has an email/);
  });

  it("refuses an email another account uses", async () => {
    const taken = await createUser(database.db);
    const walletUser = await signInWithWallet(database.db, settings, await signedChallenge(newWallet()));
    await expectTRPCError(
      callerFor(database.db, walletUser.id).account.addEmailLogin({ email: taken.email, password: TEST_PASSWORD }),
      "CONFLICT",
      "Another account already uses this email address.",
    );
    expect((await callerFor(database.db, walletUser.id).account.me()).email).toBeNull();
  });
});

describe("account.unlinkWallet", () => {
  it("refuses a wallet-only user, who would be locked out", async () => {
    const wallet = newWallet();
    const walletUser = await signInWithWallet(database.db, settings, await signedChallenge(wallet));
    await expectTRPCError(callerFor(database.db, walletUser.id).account.unlinkWallet(), "BAD_REQUEST", /Add an email and password first/);
    expect((await callerFor(database.db, walletUser.id).account.me()).walletAddress).toBe(wallet.address);
  });

  it("unlinks the wallet of a user who can sign in with a password", async () => {
    const user = await createUser(database.db);
    const caller = callerFor(database.db, user.userId);
    await caller.account.linkWallet(await signedChallenge(newWallet()));
    await caller.account.unlinkWallet();
    expect((await caller.account.me()).walletAddress).toBeNull();
  });
});
