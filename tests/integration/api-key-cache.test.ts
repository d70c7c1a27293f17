// The process's API key cache on PGlite and on real Postgres: keys are served from memory while
// the LISTEN/NOTIFY feed is up, and any change to a key (revoke, scope, expiry, deletion), made by
// this process or by a plain SQL statement, is refused from the next request on; "last used" is
// due once a minute. (Another server process's changes: tests/integration/serving-v1-api.test.ts.)
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Db } from "@/server/db/connect";
import { apiKeyDeployments, apiKeys, deployments, fineTunes, jobs, models, organizations } from "@/server/db/schema";
import { apiKeyCacheFor, closeApiKeyCache, type ApiKeyCache } from "@/server/serving/api-key-cache";
import { createApiKey, revokeApiKey, type CreateApiKeyInput } from "@/server/serving/api-keys";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { createOrgWithOwner } from "../helpers/orgs";

let database: TestDatabase;
let db: Db;
let orgId: string;
let cache: ApiKeyCache;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  const org = await createOrgWithOwner(db, "Cached Keys");
  orgId = (await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug)))[0]!.id;
  cache = apiKeyCacheFor(db);
  await vi.waitFor(() => expect(cache.serving).toBe(true));
});
afterAll(async () => {
  await closeApiKeyCache(db);
  await database.close();
});

const newKey = (overrides: Partial<CreateApiKeyInput> = {}) =>
  createApiKey(db, { orgId, name: "cached", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null, ...overrides });

const auth = async (secret: string) => (await cache.authenticate(`Bearer ${secret}`)).result;

/** On Postgres a notification crosses a connection: it arrives within milliseconds, not before the statement returns. */
const refusedSoon = (secret: string, message: RegExp) =>
  vi.waitFor(async () => expect(await auth(secret)).toMatchObject({ ok: false, message: expect.stringMatching(message) }), { timeout: 2000, interval: 1 });

async function withTriggerOff(run: () => Promise<void>) {
  await db.execute(sql`alter table api_keys disable trigger api_keys_changed`);
  try {
    await run();
  } finally {
    await db.execute(sql`alter table api_keys enable trigger api_keys_changed`);
  }
}

describe("the API key cache", () => {
  it("serves a key from memory, and refuses it from the next request on once this process revokes it", async () => {
    const key = await newKey();
    expect(await auth(key.secret)).toMatchObject({ ok: true, key: { keyId: key.id, orgId } });
    // A change nobody announces is not seen: the key really is answered from memory.
    await withTriggerOff(async () => {
      await db.update(apiKeys).set({ tokensPerMinute: 5 }).where(eq(apiKeys.id, key.id));
      expect(await auth(key.secret)).toMatchObject({ ok: true, key: { tokensPerMinute: null } });
      await db.update(apiKeys).set({ tokensPerMinute: null }).where(eq(apiKeys.id, key.id));
    });
    await revokeApiKey(db, orgId, key.id);
    expect(await auth(key.secret)).toMatchObject({ ok: false, message: expect.stringMatching(/was revoked/) });
  });

  it("forgets a key changed by any SQL statement: limits, scope, revocation, deletion", async () => {
    const key = await newKey();
    expect(await auth(key.secret)).toMatchObject({ ok: true, key: { requestsPerMinute: null, deploymentIds: null } });
    await db.update(apiKeys).set({ requestsPerMinute: 7 }).where(eq(apiKeys.id, key.id));
    await vi.waitFor(async () => expect(await auth(key.secret)).toMatchObject({ ok: true, key: { requestsPerMinute: 7 } }), { timeout: 2000, interval: 1 });

    const [model] = await db.insert(models).values({ orgId, slug: "scoped", name: "Scoped", baseModel: "tiny-llama" }).returning({ id: models.id });
    const [job] = await db.insert(jobs).values({ orgId, kind: "finetune", status: "succeeded", requirements: {}, payload: {} }).returning({ id: jobs.id });
    const [version] = await db
      .insert(fineTunes)
      .values({ orgId, modelId: model!.id, jobId: job!.id, versionNumber: 1, taskTemplate: "chat", hyperparameters: {}, exampleCount: 2, tokenCount: 10, estimate: {} })
      .returning({ id: fineTunes.id });
    const [deployment] = await db.insert(deployments).values({ orgId, name: "scoped", modelId: model!.id, fineTuneId: version!.id, baseModel: "tiny-llama", status: "ready" }).returning({ id: deployments.id });
    await db.transaction(async (tx) => {
      await tx.update(apiKeys).set({ allDeployments: false }).where(eq(apiKeys.id, key.id));
      await tx.insert(apiKeyDeployments).values({ keyId: key.id, deploymentId: deployment!.id });
    });
    await vi.waitFor(async () => expect(await auth(key.secret)).toMatchObject({ ok: true, key: { deploymentIds: [deployment!.id] } }), { timeout: 2000, interval: 1 });

    await db.update(apiKeys).set({ revokedAt: sql`now()` }).where(eq(apiKeys.id, key.id));
    await refusedSoon(key.secret, /was revoked/);

    const deleted = await newKey();
    expect((await auth(deleted.secret)).ok).toBe(true);
    await db.delete(apiKeys).where(eq(apiKeys.id, deleted.id));
    await refusedSoon(deleted.secret, /Incorrect API key/);
  });

  it("refuses a cached key once it expires, with no change to announce", async () => {
    const key = await newKey({ expiresAt: new Date(Date.now() + 1000) });
    expect((await auth(key.secret)).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await auth(key.secret)).toMatchObject({ ok: false, message: expect.stringMatching(/expired at/) });
  });

  it("says last used is due once a minute per key", async () => {
    const key = await newKey();
    expect((await cache.authenticate(`Bearer ${key.secret}`)).touch).toBe(true);
    expect((await cache.authenticate(`Bearer ${key.secret}`)).touch).toBe(false);
    expect((await cache.authenticate(`Bearer ${(await newKey()).secret}`)).touch).toBe(true);
    expect((await cache.authenticate("Bearer trb_unknown")).touch).toBe(false);
  });
});
