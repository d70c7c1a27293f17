// The public /v1 API on PGlite and on real Postgres: its errors in OpenAI's shape (401, 400, 403,
// 404, 413, 429, 503), key changes heard from another server process, and usage metering per key
// and deployment. Answers come from stand-in workers (tests/helpers/fake-serving-worker.ts).
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "@/server/db/connect";
import { apiKeyDeployments, apiKeys, apiUsageDaily } from "@/server/db/schema/api-keys";
import { apiKeyCacheFor, closeApiKeyCache } from "@/server/serving/api-key-cache";
import { LISTENER_APPLICATION_NAME } from "@/server/serving/api-key-changes";
import { createApiKey, revokeApiKey } from "@/server/serving/api-keys";
import { usageSeries } from "@/server/serving/usage";
import { createV1Api } from "@/server/serving/v1-api";
import { testBlobs } from "../helpers/context";
import { startControlPlane } from "../helpers/control-plane-server";
import { chat, readSse, gatewayFixture } from "../helpers/gateway-fixture";
import { serveV1, v1Headers } from "../helpers/v1-server";

const fx = gatewayFixture();

describe("/v1 API", () => {
  let ready: Awaited<ReturnType<typeof fx.deployed>>;
  beforeAll(async () => {
    await fx.servingWorker("api-1", "base-api");
    ready = await fx.deployed("base-api", "api-model");
  });

  const errorOf = async (response: Response) => ({ status: response.status, ...((await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }) });

  it("401 without a key, with a wrong one, or a revoked one", async () => {
    expect(await errorOf(await fx.post("chat", chat("api-model"), null))).toMatchObject({ status: 401, error: { type: "invalid_request_error", code: "invalid_api_key" } });
    expect(await errorOf(await fx.post("chat", chat("api-model"), "trb_nope"))).toMatchObject({ status: 401, error: { message: expect.stringMatching(/Incorrect API key/) } });
    const models = await fx.get("/v1/models", null);
    expect(models.status).toBe(401);
    const revoked = await createApiKey(fx.db, { orgId: fx.orgId, name: "revoked", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
    expect((await fx.post("chat", chat("api-model"), revoked.secret)).status).toBe(200);
    await revokeApiKey(fx.db, fx.orgId, revoked.id);
    expect(await errorOf(await fx.post("chat", chat("api-model"), revoked.secret))).toMatchObject({ status: 401, error: { message: expect.stringMatching(/was revoked/) } });
  });

  it("401 over HTTP for a key past its expiry, in OpenAI's error shape: expired before its first call, or while cached", async () => {
    const plane = await startControlPlane({ db: fx.db, blobs: testBlobs, blobSecret: "expiry-test", policy: { leaseSeconds: 60, retryBaseSeconds: 0, retryMaxSeconds: 0 } });
    try {
      const call = (secret: string, path = "/v1/chat/completions") =>
        fetch(`${plane.url}${path}`, path.endsWith("completions") ? { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${secret}` }, body: JSON.stringify(chat("api-model")) } : { headers: { authorization: `Bearer ${secret}` } });
      const refusal = async (response: Response, key: { prefix: string }) => {
        expect(response.status).toBe(401);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        const [row] = await fx.db.select({ expiresAt: apiKeys.expiresAt }).from(apiKeys).where(eq(apiKeys.prefix, key.prefix));
        expect(await response.json()).toEqual({
          error: {
            message: `The API key ${key.prefix}… expired at ${row!.expiresAt!.toISOString()}. Create a new key on the API keys page of your organization.`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        });
      };
      // A key can only be created to expire later; this one's expiry is then moved into the past before it is used.
      const past = await createApiKey(fx.db, { orgId: fx.orgId, name: "expired", createdBy: null, deploymentIds: null, expiresAt: new Date(Date.now() + 60_000), requestsPerMinute: null, tokensPerMinute: null });
      await fx.db.update(apiKeys).set({ expiresAt: sql`now() - interval '1 hour'` }).where(eq(apiKeys.id, past.id));
      await refusal(await call(past.secret), past);
      await refusal(await call(past.secret, "/v1/models"), past);

      // This one answers while it lasts, from the process's key cache, and is refused once its time is up with nothing announced.
      const expiresAt = new Date(Date.now() + 2000);
      const expiring = await createApiKey(fx.db, { orgId: fx.orgId, name: "expiring", createdBy: null, deploymentIds: null, expiresAt, requestsPerMinute: null, tokensPerMinute: null });
      expect((await call(expiring.secret)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() + 50 - Date.now()));
      await refusal(await call(expiring.secret), expiring);
    } finally {
      await plane.v1.flushUsage();
      await plane.close();
    }
  });

  // Another web replica: its own connection pool, key cache and /v1 handlers on the same database.
  async function withReplica(run: (call: (key: string) => Promise<Response>, cache: ReturnType<typeof apiKeyCacheFor>) => Promise<void>) {
    const replica = openDatabase({ url: fx.database.url! });
    const replicaApi = createV1Api(() => ({ db: replica.db, store: testBlobs }));
    const served = await serveV1(replicaApi);
    try {
      const cache = apiKeyCacheFor(replica.db);
      await vi.waitFor(() => expect(cache.serving).toBe(true));
      const call = (key: string) => served.call("/v1/chat/completions", { method: "POST", headers: v1Headers(key), body: JSON.stringify(chat("api-model")) });
      await run(call, cache);
    } finally {
      await served.close();
      await replicaApi.flushUsage();
      await closeApiKeyCache(replica.db);
      await replica.close();
    }
  }

  // One PGlite process has no other replica: a revoke drops the key from its cache directly (above).
  const onPostgres = process.env.TEST_DB === "postgres";

  it.runIf(onPostgres)("a key revoked, re-scoped or deleted through another server process is refused here within milliseconds (LISTEN/NOTIFY)", async () => {
    await withReplica(async (call) => {
      const key = await createApiKey(fx.db, { orgId: fx.orgId, name: "replicated", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
      expect((await call(key.secret)).status).toBe(200);
      const refusedWithin = async (status: number) => {
        const start = performance.now();
        await vi.waitFor(async () => expect((await call(key.secret)).status).toBe(status), { timeout: 2000, interval: 1 });
        return performance.now() - start;
      };
      // Scoped to another deployment by a direct write (the trigger announces it), then revoked on the API keys page of this process.
      const other = await fx.deployed("base-api", "api-replica-scope");
      await fx.db.transaction(async (tx) => {
        await tx.update(apiKeys).set({ allDeployments: false }).where(eq(apiKeys.id, key.id));
        await tx.insert(apiKeyDeployments).values({ keyId: key.id, deploymentId: other.id });
      });
      expect(await refusedWithin(403)).toBeLessThan(500);
      await fx.owner().apiKeys.revoke({ orgSlug: fx.org.slug, keyId: key.id });
      expect(await refusedWithin(401)).toBeLessThan(500);
      const deleted = await createApiKey(fx.db, { orgId: fx.orgId, name: "deleted", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
      expect((await call(deleted.secret)).status).toBe(200);
      await fx.db.delete(apiKeys).where(eq(apiKeys.id, deleted.id));
      await vi.waitFor(async () => expect((await call(deleted.secret)).status).toBe(401), { timeout: 2000, interval: 1 });
    });
  });

  it.runIf(onPostgres)("while its listener is down a replica reads every key from the database, and trusts its cache again once it listens", async () => {
    await withReplica(async (call, cache) => {
      const key = await createApiKey(fx.db, { orgId: fx.orgId, name: "unheard", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
      expect((await call(key.secret)).status).toBe(200);
      await fx.db.execute(sql`alter table api_keys disable trigger api_keys_changed`);
      try {
        // A change nobody announces is not seen while the cache is trusted: the key really is served from memory.
        await fx.db.update(apiKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiKeys.id, key.id));
        expect((await call(key.secret)).status).toBe(200);
        // Both replicas' listeners lose their connections: changes could be missed, so keys are read again.
        await fx.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${LISTENER_APPLICATION_NAME} and datname = current_database()`);
        await vi.waitFor(() => expect(cache.serving).toBe(false), { interval: 1 });
        expect((await call(key.secret)).status).toBe(401);
      } finally {
        await fx.db.execute(sql`alter table api_keys enable trigger api_keys_changed`);
      }
      await vi.waitFor(() => expect(cache.serving).toBe(true), { timeout: 5000 });
      expect((await call(key.secret)).status).toBe(401);
      await fx.db.update(apiKeys).set({ expiresAt: null }).where(eq(apiKeys.id, key.id));
      await vi.waitFor(async () => expect((await call(key.secret)).status).toBe(200), { timeout: 2000, interval: 1 });
    });
  });

  it("400 for malformed JSON and for a wrong field, naming it", async () => {
    expect(await errorOf(await fx.post("chat", null, fx.keySecret, "{not json"))).toMatchObject({ status: 400, error: { code: "invalid_json" } });
    const huge = JSON.stringify(chat("api-model", { messages: [{ role: "user", content: "x".repeat(9 << 20) }] }));
    expect(await errorOf(await fx.post("chat", null, fx.keySecret, huge))).toMatchObject({ status: 413, error: { code: "request_too_large" } });
    expect(await errorOf(await fx.post("chat", { ...chat("api-model"), temperature: 7 }))).toMatchObject({ status: 400, error: { param: "temperature", type: "invalid_request_error" } });
    expect(await errorOf(await fx.post("chat", { model: "api-model", messages: [] }))).toMatchObject({ status: 400, error: { param: "messages" } });
    expect(await errorOf(await fx.post("chat", { model: "api-model", messages: [{ role: "robot", content: "x" }] }))).toMatchObject({ status: 400, error: { param: "messages[0].role" } });
    expect(await errorOf(await fx.post("chat", { ...chat("api-model"), tools: [{ type: "function" }] }))).toMatchObject({ status: 400, error: { param: "tools", code: "unsupported_parameter" } });
  });

  it("404 for an unknown model, 403 for a key not scoped to it", async () => {
    expect(await errorOf(await fx.post("chat", chat("no-such-model")))).toMatchObject({ status: 404, error: { code: "model_not_found", param: "model" } });
    const other = await fx.deployed("base-api", "api-other");
    const scoped = await createApiKey(fx.db, { orgId: fx.orgId, name: "scoped", createdBy: null, deploymentIds: [other.id], expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
    expect(await errorOf(await fx.post("chat", chat("api-model"), scoped.secret))).toMatchObject({ status: 403, error: { param: "model" } });
    expect((await fx.post("chat", chat("api-other"), scoped.secret)).status).toBe(200);
    const listed = (await (await fx.get("/v1/models", scoped.secret)).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toEqual(["api-other"]);
    const all = (await (await fx.get("/v1/models")).json()) as { object: string; data: { id: string; object: string }[] };
    expect(all.object).toBe("list");
    expect(all.data.map((m) => m.id)).toEqual(expect.arrayContaining(["api-model", "api-other"]));
    expect(await (await fx.get("/v1/models/api-other", scoped.secret)).json()).toMatchObject({ id: "api-other", object: "model", owned_by: "tributary" });
    expect(await errorOf(await fx.get("/v1/models/api-model", scoped.secret))).toMatchObject({ status: 404, error: { code: "model_not_found" } });
  });

  it("404 for a path the API does not have, 405 for a method an endpoint does not take, 400 for a model name that is not valid percent-encoding", async () => {
    expect(await errorOf(await fx.get("/v1/embeddings"))).toMatchObject({ status: 404, error: { code: "unknown_url", message: expect.stringMatching(/GET \/v1\/embeddings.*POST \/v1\/chat\/completions/) } });
    const wrongMethod = await fx.get("/v1/chat/completions");
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(await errorOf(wrongMethod)).toMatchObject({ status: 405, error: { code: "method_not_allowed", message: "Use POST for /v1/chat/completions." } });
    expect(await errorOf(await fx.get("/v1/models/%E0%A4%A"))).toMatchObject({ status: 400, error: { code: "invalid_url" } });
  });

  it("429 with Retry-After over a key's request limit", async () => {
    const limited = await createApiKey(fx.db, { orgId: fx.orgId, name: "limited", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: 2, tokensPerMinute: null });
    expect((await fx.post("chat", chat("api-model"), limited.secret)).status).toBe(200);
    expect((await fx.post("chat", chat("api-model"), limited.secret)).status).toBe(200);
    const refused = await fx.post("chat", chat("api-model"), limited.secret);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
  });

  it("503 naming the fix when no worker serves the base model any more", async () => {
    const lonely = await fx.servingWorker("lonely", "base-lonely");
    await fx.deployed("base-lonely", "lonely-model");
    await fx.setOffline(lonely.workerId);
    const { status, error } = await errorOf(await fx.post("chat", chat("lonely-model")));
    expect(status).toBe(503);
    expect(error).toMatchObject({ code: "no_worker_available", message: "No online worker serves base model base-lonely: start one with --serve." });
  });

  it("answers with the deployment's name as model and meters usage per key and deployment", async () => {
    const metered = await createApiKey(fx.db, { orgId: fx.orgId, name: "metered", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
    const plain = (await (await fx.post("chat", chat("api-model"), metered.secret)).json()) as { model: string; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(plain.model).toBe("api-model");
    // Streamed without include_usage: no usage in the chunks, but it is metered from the worker's usage chunk.
    const hidden = await readSse(await fx.post("chat", chat("api-model", { stream: true }), metered.secret));
    expect(hidden.chunks.some((c) => "usage" in c)).toBe(false);
    const shown = await readSse(await fx.post("chat", chat("api-model", { stream: true, stream_options: { include_usage: true } }), metered.secret));
    expect(shown.chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } });
    await fx.api.flushUsage();
    const rows = await fx.db.select().from(apiUsageDaily).where(eq(apiUsageDaily.keyId, metered.id));
    expect(rows).toEqual([expect.objectContaining({ deploymentId: ready.id, requests: 3, errors: 0, promptTokens: 15, completionTokens: 9 })]);
    expect((await usageSeries(fx.db, fx.orgId, { days: 1, keyId: metered.id })).at(-1)).toMatchObject({ requests: 3, promptTokens: 15, completionTokens: 9 });
  });
});
