// API keys, rate limits and usage metering on PGlite and on real Postgres: only the hash is
// stored, every authentication outcome, scopes, per-minute limits (also under concurrency, from
// two connection pools as two server processes would), token reservations corrected by usage,
// and the daily rollup the usage chart reads.
import { createHash } from "node:crypto";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "@/server/db/connect";
import { apiKeyRateWindows, apiKeys, apiUsageDaily, deployments, fineTunes, jobs, models, organizations } from "@/server/db/schema";
import { authenticateApiKey, createApiKey, keyCanUse, listApiKeys, revokeApiKey, type ApiKeyPrincipal, type CreateApiKeyInput } from "@/server/serving/api-keys";
import { admitRequest, RateLimiter } from "@/server/serving/rate-limit";
import { recordUsage, recordUsageMany, usageSeries } from "@/server/serving/usage";
import { callerFor } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { addMemberVia, createOrgWithOwner, type TestOrg } from "../helpers/orgs";

let database: TestDatabase;
let db: Db;
let org: TestOrg;
let orgId: string;
let otherOrgId: string;
let deploymentA: string;
let deploymentB: string;
let otherOrgDeployment: string;

/** A deployment row with the model, job and version it needs (what Deploy creates, minus the workers). */
async function deployment(ofOrg: string, name: string) {
  const [model] = await db.insert(models).values({ orgId: ofOrg, slug: `${name}-model`, name, baseModel: "tiny-llama" }).returning({ id: models.id });
  const [job] = await db.insert(jobs).values({ orgId: ofOrg, kind: "finetune", status: "succeeded", requirements: {}, payload: {} }).returning({ id: jobs.id });
  const [version] = await db
    .insert(fineTunes)
    .values({ orgId: ofOrg, modelId: model!.id, jobId: job!.id, versionNumber: 1, taskTemplate: "chat", hyperparameters: {}, exampleCount: 2, tokenCount: 10, estimate: {} })
    .returning({ id: fineTunes.id });
  const [row] = await db
    .insert(deployments)
    .values({ orgId: ofOrg, name, modelId: model!.id, fineTuneId: version!.id, baseModel: "tiny-llama", status: "ready" })
    .returning({ id: deployments.id });
  return row!.id;
}

const keyInput = (overrides: Partial<CreateApiKeyInput> = {}): CreateApiKeyInput => ({
  orgId,
  name: "app",
  createdBy: org.owner.userId,
  deploymentIds: null,
  expiresAt: null,
  requestsPerMinute: null,
  tokensPerMinute: null,
  ...overrides,
});

async function principal(secret: string): Promise<ApiKeyPrincipal> {
  const result = await authenticateApiKey(db, `Bearer ${secret}`);
  if (!result.ok) throw new Error(`expected ${secret.slice(0, 10)}… to authenticate, got: ${result.message}`);
  return result.key;
}

async function refusal(header: string | null) {
  const result = await authenticateApiKey(db, header);
  if (result.ok) throw new Error(`expected ${header} to be refused`);
  expect(result.status).toBe(401);
  return result.message;
}

/** Moves a key's rate window back by a minute, as if that minute had passed. */
async function windowPasses(keyId: string) {
  await db.update(apiKeyRateWindows).set({ windowStart: sql`${apiKeyRateWindows.windowStart} - interval '1 minute'` }).where(eq(apiKeyRateWindows.keyId, keyId));
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  org = await createOrgWithOwner(db, "App Builders");
  const other = await createOrgWithOwner(db, "Other Org");
  const ids = await db.select({ id: organizations.id, slug: organizations.slug }).from(organizations).where(inArray(organizations.slug, [org.slug, other.slug]));
  orgId = ids.find((o) => o.slug === org.slug)!.id;
  otherOrgId = ids.find((o) => o.slug === other.slug)!.id;
  deploymentA = await deployment(orgId, "support-bot");
  deploymentB = await deployment(orgId, "legal-bot");
  otherOrgDeployment = await deployment(otherOrgId, "their-bot");
});
afterAll(() => database.close());

describe("keys", () => {
  it("returns the secret once and stores only its sha256 and a prefix", async () => {
    const created = await createApiKey(db, keyInput({ name: "web app" }));
    expect(created.secret).toMatch(/^trb_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.secret.slice(0, 10));
    const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(row!.tokenHash).toBe(createHash("sha256").update(created.secret).digest("hex"));
    expect(Object.values(row!).some((v) => typeof v === "string" && v.includes(created.secret.slice(10)))).toBe(false);
    const listed = await listApiKeys(db, orgId);
    expect(listed.find((k) => k.id === created.id)).toMatchObject({ name: "web app", prefix: created.prefix, deployments: null, expired: false });
    expect(JSON.stringify(listed)).not.toContain(created.secret);
  });

  it("refuses a missing, malformed, unknown, revoked or expired key with a 401 that says which", async () => {
    expect(await refusal(null)).toMatch(/didn't provide an API key/);
    expect(await refusal("   ")).toMatch(/didn't provide an API key/);
    expect(await refusal("Basic dXNlcjpwYXNz")).toMatch(/malformed/);
    expect(await refusal("Bearer")).toMatch(/malformed/);
    const unknown = `trb_${"A".repeat(43)}`;
    expect(await refusal(`Bearer ${unknown}`)).toMatch(/^Incorrect API key provided: trb_AAAAAA\*+AAAA\./);
    expect(await refusal("Bearer sk-not-ours")).toMatch(/Incorrect API key/);

    const live = await createApiKey(db, keyInput());
    const key = await principal(live.secret);
    expect(key).toEqual({ keyId: live.id, orgId, prefix: live.prefix, deploymentIds: null, requestsPerMinute: null, tokensPerMinute: null });
    expect((await authenticateApiKey(db, `bearer  ${live.secret}`)).ok).toBe(true);

    expect(await revokeApiKey(db, orgId, live.id)).toMatchObject({ id: live.id });
    expect(await refusal(`Bearer ${live.secret}`)).toMatch(/was revoked/);
    expect(await revokeApiKey(db, orgId, live.id)).toBeNull();
    expect((await listApiKeys(db, orgId)).some((k) => k.id === live.id)).toBe(false);

    const expiring = await createApiKey(db, keyInput({ expiresAt: new Date(Date.now() + 3_600_000) }));
    await principal(expiring.secret);
    await db.update(apiKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiKeys.id, expiring.id));
    expect(await refusal(`Bearer ${expiring.secret}`)).toMatch(/expired at/);
    expect((await listApiKeys(db, orgId)).find((k) => k.id === expiring.id)?.expired).toBe(true);
  });

  it("refuses an expiry in the past, and revoking another org's key", async () => {
    await expectTRPCError(createApiKey(db, keyInput({ expiresAt: new Date(Date.now() - 1000) })), "BAD_REQUEST", /future/);
    const theirs = await createApiKey(db, keyInput({ orgId: otherOrgId }));
    expect(await revokeApiKey(db, orgId, theirs.id)).toBeNull();
    await principal(theirs.secret);
    expect((await listApiKeys(db, orgId)).some((k) => k.id === theirs.id)).toBe(false);
  });

  it("scopes a key to chosen deployments of its own org", async () => {
    const all = await principal((await createApiKey(db, keyInput())).secret);
    expect(keyCanUse(all, { id: deploymentA, orgId })).toBe(true);
    expect(keyCanUse(all, { id: deploymentB, orgId })).toBe(true);
    expect(keyCanUse(all, { id: otherOrgDeployment, orgId: otherOrgId })).toBe(false);

    const created = await createApiKey(db, keyInput({ deploymentIds: [deploymentA, deploymentA] }));
    const scoped = await principal(created.secret);
    expect(scoped.deploymentIds).toEqual([deploymentA]);
    expect(keyCanUse(scoped, { id: deploymentA, orgId })).toBe(true);
    expect(keyCanUse(scoped, { id: deploymentB, orgId })).toBe(false);
    expect((await listApiKeys(db, orgId)).find((k) => k.id === created.id)?.deployments).toEqual([{ id: deploymentA, name: "support-bot" }]);

    await expectTRPCError(createApiKey(db, keyInput({ deploymentIds: [deploymentA, otherOrgDeployment] })), "NOT_FOUND", /not in this organization/);
    await expectTRPCError(createApiKey(db, keyInput({ deploymentIds: [] })), "BAD_REQUEST", /at least one/);
  });

  it("writes last used at most once a minute", async () => {
    const created = await createApiKey(db, keyInput());
    const lastUsed = async () => (await db.select({ at: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, created.id)))[0]!.at;
    expect(await lastUsed()).toBeNull();
    await principal(created.secret);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await principal(created.secret);
    expect(await lastUsed()).toEqual(first);
    await db.update(apiKeys).set({ lastUsedAt: sql`now() - interval '2 minutes'` }).where(eq(apiKeys.id, created.id));
    await principal(created.secret);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(first!.getTime() - 1000);
  });
});

describe("rate limits", () => {
  it("admits keys without limits and counts nothing for them", async () => {
    const key = await principal((await createApiKey(db, keyInput())).secret);
    for (let i = 0; i < 5; i++) expect((await admitRequest(db, key, { tokens: 10_000 })).ok).toBe(true);
    expect(await db.select().from(apiKeyRateWindows).where(eq(apiKeyRateWindows.keyId, key.keyId))).toEqual([]);
  });

  it("refuses the request over requests/min with Retry-After, and admits again in the next minute", async () => {
    const key = await principal((await createApiKey(db, keyInput({ requestsPerMinute: 3 }))).secret);
    for (let i = 0; i < 3; i++) expect((await admitRequest(db, key, { tokens: 5 })).ok).toBe(true);
    const refused = await admitRequest(db, key, { tokens: 5 });
    if (refused.ok) throw new Error("the 4th request in a minute was admitted with a limit of 3");
    expect(refused.limit).toBe("requests");
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.message).toMatch(/3 requests per minute/);
    await windowPasses(key.keyId);
    expect((await admitRequest(db, key, { tokens: 5 })).ok).toBe(true);
    const [row] = await db.select().from(apiKeyRateWindows).where(eq(apiKeyRateWindows.keyId, key.keyId));
    expect(row).toMatchObject({ requests: 1, tokens: 5 });
  });

  it("reserves tokens by estimate, refuses over tokens/min, and gives back what usage did not use", async () => {
    const key = await principal((await createApiKey(db, keyInput({ tokensPerMinute: 100 }))).secret);
    const limiter = new RateLimiter(db);
    const first = await limiter.admit(key, { tokens: 60 });
    if (!first.ok || !first.reservation) throw new Error("the first request was refused");
    const over = await limiter.admit(key, { tokens: 50 });
    expect(over).toMatchObject({ ok: false, limit: "tokens" });
    const tooLarge = await limiter.admit(key, { tokens: 101 });
    expect(tooLarge).toMatchObject({ ok: false, limit: "tokens" });
    if (!tooLarge.ok) expect(tooLarge.message).toMatch(/Request too large/);
    // The first answer used 12 + 8 tokens of its 60: 40 go back to the window.
    limiter.settle(first.reservation, 12 + 8);
    expect((await limiter.admit(key, { tokens: 50 })).ok).toBe(true);
    expect((await limiter.admit(key, { tokens: 31 })).ok).toBe(false);
    await windowPasses(key.keyId);
    expect((await limiter.admit(key, { tokens: 100 })).ok).toBe(true);
  });

  it("drops a correction whose minute has passed", async () => {
    const key = await principal((await createApiKey(db, keyInput({ tokensPerMinute: 100 }))).secret);
    const limiter = new RateLimiter(db);
    const old = await limiter.admit(key, { tokens: 90 });
    if (!old.ok || !old.reservation) throw new Error("refused");
    // The reservation, like the window it was counted in, is a minute old.
    await windowPasses(key.keyId);
    const reservation = { ...old.reservation, windowStart: new Date(old.reservation.windowStart.getTime() - 60_000) };
    expect((await limiter.admit(key, { tokens: 70 })).ok).toBe(true);
    limiter.settle(reservation, 2);
    await limiter.sync();
    const [row] = await db.select().from(apiKeyRateWindows).where(eq(apiKeyRateWindows.keyId, key.keyId));
    expect(row?.tokens).toBe(70);
  });

  it("never admits more than the limit when 50 requests arrive at once from two server processes", async () => {
    // A second pool on the same database stands in for a second web replica (on PGlite: the same handle).
    const second = database.url ? openDatabase({ url: database.url, maxConnections: 25 }) : null;
    try {
      const dbs = [db, second?.db ?? db];
      const byRequests = await principal((await createApiKey(db, keyInput({ requestsPerMinute: 10 }))).secret);
      const byTokens = await principal((await createApiKey(db, keyInput({ tokensPerMinute: 1000 }))).secret);
      const burst = (key: ApiKeyPrincipal, tokens: number) => Promise.all(Array.from({ length: 50 }, (_, i) => admitRequest(dbs[i % 2]!, key, { tokens })));
      const [requests, tokens] = await Promise.all([burst(byRequests, 1), burst(byTokens, 70)]);
      expect(requests.filter((r) => r.ok)).toHaveLength(10);
      expect(requests.filter((r) => !r.ok && r.limit === "requests")).toHaveLength(40);
      expect(tokens.filter((r) => r.ok)).toHaveLength(14);
      const rows = await db.select().from(apiKeyRateWindows).where(sql`${apiKeyRateWindows.keyId} in (${byRequests.keyId}, ${byTokens.keyId})`);
      expect(rows.map((r) => [r.requests, r.tokens]).sort()).toEqual([[10, 10], [14, 980]].sort());
    } finally {
      await second?.close();
    }
  });
});

describe("a process's rate limiter", () => {
  const windowOf = async (keyId: string) => (await db.select().from(apiKeyRateWindows).where(eq(apiKeyRateWindows.keyId, keyId)))[0];

  it("admits from a leased slice (one database count for many requests) and gives back what it did not use once the key is quiet", async () => {
    const key = await principal((await createApiKey(db, keyInput({ requestsPerMinute: 1600, tokensPerMinute: 160_000 }))).secret);
    const limiter = new RateLimiter(db);
    const results = await Promise.all(Array.from({ length: 40 }, () => limiter.admit(key, { tokens: 100 })));
    expect(results.every((r) => r.ok)).toBe(true);
    // A sixteenth of each limit, leased once, covers all 40.
    expect(await windowOf(key.keyId)).toMatchObject({ requests: 100, tokens: 10_000 });
    for (const r of results) if (r.ok) limiter.settle(r.reservation, 30);
    // Busy since the last sync: it keeps its slice.
    expect(await limiter.sync()).toBe(true);
    expect(await windowOf(key.keyId)).toMatchObject({ requests: 100, tokens: 10_000 });
    // Quiet since then: the database counts what was used.
    expect(await limiter.sync()).toBe(false);
    expect(await windowOf(key.keyId)).toMatchObject({ requests: 40, tokens: 40 * 30 });
  });

  it("counts every request in the database when the limit is small, and refuses with the database's Retry-After", async () => {
    const key = await principal((await createApiKey(db, keyInput({ requestsPerMinute: 3 }))).secret);
    const limiter = new RateLimiter(db);
    for (let i = 1; i <= 3; i++) {
      expect((await limiter.admit(key, { tokens: 5 })).ok).toBe(true);
      expect((await windowOf(key.keyId))?.requests).toBe(i);
    }
    const refused = await limiter.admit(key, { tokens: 5 });
    if (refused.ok) throw new Error("the 4th request in a minute was admitted with a limit of 3");
    expect(refused).toMatchObject({ limit: "requests", message: expect.stringMatching(/3 requests per minute/) });
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("never admits more than the limit with two server processes leasing at once, and the database ends up counting what was admitted", async () => {
    const second = database.url ? openDatabase({ url: database.url, maxConnections: 25 }) : null;
    try {
      const limiters = [new RateLimiter(db), new RateLimiter(second?.db ?? db)];
      const key = await principal((await createApiKey(db, keyInput({ requestsPerMinute: 64, tokensPerMinute: 64_000 }))).secret);
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => limiters[i % 2]!.admit(key, { tokens: 10 })));
      const admitted = results.filter((r) => r.ok).length;
      expect(admitted).toBeLessThanOrEqual(64);
      // What one process leased and did not use (less than a slice of 4 each) is all the other could miss.
      expect(admitted).toBeGreaterThanOrEqual(64 - 2 * 4);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.limit === "requests")).toBe(true);
      for (const limiter of limiters) for (let i = 0; i < 2; i++) await limiter.sync();
      expect(await windowOf(key.keyId)).toMatchObject({ requests: admitted, tokens: admitted * 10 });
    } finally {
      await second?.close();
    }
  });
});

describe("usage", () => {
  it("rolls requests, errors and tokens up per key, deployment and UTC day, for this org only", async () => {
    const one = await createApiKey(db, keyInput({ name: "one" }));
    const two = await createApiKey(db, keyInput({ name: "two" }));
    const theirs = await createApiKey(db, keyInput({ orgId: otherOrgId }));
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await recordUsageMany(db, [
      { keyId: one.id, deploymentId: deploymentA, promptTokens: 10, completionTokens: 5, ok: true, at: twoDaysAgo },
      { keyId: one.id, deploymentId: deploymentA, promptTokens: 7, completionTokens: 0, ok: false, at: twoDaysAgo },
      { keyId: one.id, deploymentId: deploymentB, promptTokens: 3, completionTokens: 2, ok: true },
      { keyId: theirs.id, deploymentId: otherOrgDeployment, promptTokens: 1000, completionTokens: 1000, ok: true },
    ]);
    await recordUsage(db, { keyId: two.id, deploymentId: deploymentA, promptTokens: 4, completionTokens: 6, ok: true });
    await recordUsage(db, { keyId: two.id, deploymentId: deploymentA, promptTokens: 1, completionTokens: 1, ok: true });

    const days = (n: number) => Array.from({ length: n }, (_, i) => new Date(Date.now() - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));
    const series = await usageSeries(db, orgId, { days: 3 });
    expect(series.map((d) => d.day)).toEqual(days(3));
    expect(series[0]).toEqual({ day: days(3)[0], requests: 2, errors: 1, promptTokens: 17, completionTokens: 5 });
    expect(series[1]).toMatchObject({ requests: 0, errors: 0, promptTokens: 0, completionTokens: 0 });

    expect((await usageSeries(db, orgId, { days: 3, keyId: one.id })).map((d) => d.requests)).toEqual([2, 0, 1]);
    expect((await usageSeries(db, orgId, { days: 3, keyId: two.id }))[2]).toMatchObject({ requests: 2, promptTokens: 5, completionTokens: 7 });
    expect((await usageSeries(db, orgId, { days: 3, keyId: one.id, deploymentId: deploymentB })).map((d) => d.completionTokens)).toEqual([0, 0, 2]);
    expect((await usageSeries(db, orgId, { days: 1, deploymentId: otherOrgDeployment }))[0]!.requests).toBe(0);
    expect((await usageSeries(db, otherOrgId, { days: 1 }))[0]).toMatchObject({ requests: 1, promptTokens: 1000 });
    expect((await usageSeries(db, orgId, { days: 2, keyId: one.id })).map((d) => d.requests)).toEqual([0, 1]);
  });
});

describe("usage batches", () => {
  it("keep the events of live keys when a key in the batch was deleted with its org", async () => {
    const gone = await createOrgWithOwner(db, "Short Lived");
    const [goneOrg] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, gone.slug));
    const doomed = await createApiKey(db, keyInput({ orgId: goneOrg!.id }));
    const live = await createApiKey(db, keyInput({ name: "live" }));
    await db.delete(organizations).where(eq(organizations.id, goneOrg!.id));
    await recordUsageMany(db, [
      { keyId: doomed.id, deploymentId: deploymentA, promptTokens: 5, completionTokens: 5, ok: true },
      { keyId: live.id, deploymentId: deploymentA, promptTokens: 3, completionTokens: 4, ok: true },
    ]);
    expect((await usageSeries(db, orgId, { days: 1, keyId: live.id }))[0]).toMatchObject({ requests: 1, promptTokens: 3, completionTokens: 4 });
    expect(await db.select().from(apiUsageDaily).where(eq(apiUsageDaily.keyId, doomed.id))).toEqual([]);
  });
});

describe("the apiKeys router", () => {
  it("lets admins create and revoke keys, and members list them and read usage", async () => {
    const member = await addMemberVia(db, org, "member");
    const owner = callerFor(db, org.owner.userId);
    const created = await owner.apiKeys.create({ orgSlug: org.slug, name: "  mobile app ", deploymentIds: [deploymentB], expiresAt: null, requestsPerMinute: 60, tokensPerMinute: null });
    expect(created).toMatchObject({ name: "mobile app", prefix: created.secret.slice(0, 10) });
    const key = await principal(created.secret);
    expect(key).toMatchObject({ orgId, deploymentIds: [deploymentB], requestsPerMinute: 60, tokensPerMinute: null });

    const asMember = callerFor(db, member.userId);
    const listed = await asMember.apiKeys.list({ orgSlug: org.slug });
    expect(listed.find((k) => k.id === created.id)).toMatchObject({ name: "mobile app", deployments: [{ id: deploymentB, name: "legal-bot" }], requestsPerMinute: 60 });
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    await recordUsage(db, { keyId: created.id, deploymentId: deploymentB, promptTokens: 9, completionTokens: 3, ok: true });
    expect((await asMember.apiKeys.usage({ orgSlug: org.slug, days: 7, keyId: created.id })).at(-1)).toMatchObject({ requests: 1, promptTokens: 9, completionTokens: 3 });
    await expectTRPCError(asMember.apiKeys.revoke({ orgSlug: org.slug, keyId: created.id }), "FORBIDDEN");

    await expectTRPCError(
      owner.apiKeys.create({ orgSlug: org.slug, name: "x", deploymentIds: null, expiresAt: null, requestsPerMinute: 0, tokensPerMinute: null }),
      "BAD_REQUEST",
      /Requests per minute must be at least 1/,
    );
    await owner.apiKeys.revoke({ orgSlug: org.slug, keyId: created.id });
    expect(await refusal(`Bearer ${created.secret}`)).toMatch(/was revoked/);
    await expectTRPCError(owner.apiKeys.revoke({ orgSlug: org.slug, keyId: created.id }), "NOT_FOUND");
  });
});
