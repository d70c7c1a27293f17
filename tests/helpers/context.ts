// Builds the tRPC context the route handler would, and makes signed-up users for tests.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createCaller } from "@/server/api/root";
import type { Context } from "@/server/api/trpc";
import { signUp } from "@/server/auth/accounts";
import type { Db } from "@/server/db/connect";
import type { Mailer } from "@/server/mail";
import { LocalBlobStore } from "@/server/storage/local";

export const TEST_APP_URL = "http://localhost:3000";
export const TEST_CHAIN_IDS = [1, 31337] as const;
export const TEST_PASSWORD = "correct-horse-42";

/** One local blob folder per test file (each file runs in its own worker). */
export const testBlobs = new LocalBlobStore({
  root: mkdtempSync(path.join(tmpdir(), "tributary-blobs-")),
  appUrl: TEST_APP_URL,
  secret: "test-secret-for-signed-blob-urls",
});

export function contextFor(db: Db, userId: string | null, overrides: Partial<Context> = {}): Context {
  return {
    db,
    userId,
    clientAddress: "test",
    appUrl: TEST_APP_URL,
    siweChainIds: TEST_CHAIN_IDS,
    mailer: null as Mailer | null,
    blobs: testBlobs,
    chain: null,
    ...overrides,
  };
}

export function callerFor(db: Db, userId: string | null, overrides: Partial<Context> = {}) {
  return createCaller(contextFor(db, userId, overrides));
}

export interface TestUser {
  userId: string;
  email: string;
  name: string;
  personalOrgSlug: string;
}

/** A unique email per call, so tests in one file never collide. */
export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomBytes(4).toString("hex")}@example.org`;
}

export async function createUser(db: Db, options: { name?: string; email?: string; password?: string } = {}): Promise<TestUser> {
  const email = options.email ?? uniqueEmail();
  const name = options.name ?? `Test ${email.split("@")[0]}`;
  const { user, personalOrgSlug } = await signUp(db, { name, email, password: options.password ?? TEST_PASSWORD });
  return { userId: user.id, email, name, personalOrgSlug };
}
