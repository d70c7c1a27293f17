// Deployments and the inference gateway on PGlite and on real Postgres: deploy state
// transitions and failure reasons, routing affinity and load spreading, failover before the
// first token, a clean SSE error after it, and the public /v1 API's errors and usage metering.
// Failures come from stand-in workers (tests/helpers/fake-serving-worker.ts).
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase, type Db } from "@/server/db/connect";
import { deployments, organizations } from "@/server/db/schema";
import { apiKeyDeployments, apiKeys, apiUsageDaily } from "@/server/db/schema/api-keys";
import { apiKeyCacheFor, closeApiKeyCache } from "@/server/serving/api-key-cache";
import { LISTENER_APPLICATION_NAME } from "@/server/serving/api-key-changes";
import { createApiKey, revokeApiKey } from "@/server/serving/api-keys";
import { scheduleActivation } from "@/server/serving/deployments";
import { gatewayFor, type Gateway } from "@/server/serving/gateway";
import { LoadTracker, rendezvousOrder, routeOrder } from "@/server/serving/routing";
import { SseParser } from "@/server/serving/sse";
import { usageSeries } from "@/server/serving/usage";
import { createV1Api } from "@/server/serving/v1-api";
import type { ServingWorker } from "@/server/serving/worker-client";
import { callerFor, testBlobs } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { FakeServingWorker } from "../helpers/fake-serving-worker";
import { createOrgWithOwner, type TestOrg } from "../helpers/orgs";
import { registeredServingWorker, trainedVersionWithAdapter } from "../helpers/serving";

let database: TestDatabase;
let db: Db;
let org: TestOrg;
let orgId: string;
let gateway: Gateway;
const fakes: FakeServingWorker[] = [];
const api = createV1Api(() => ({ db, store: testBlobs }));

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  // Made before anything else asks for this database's gateway, so these options hold.
  gateway = gatewayFor({ db, store: testBlobs }, { firstTokenTimeoutMs: 3000, idleTimeoutMs: 3000, cacheTtlMs: 0, penaltyMs: 0 });
  org = await createOrgWithOwner(db, "Servers");
  orgId = (await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug)))[0]!.id;
});
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.stop()));
  await closeApiKeyCache(db);
  await database?.close();
});

const owner = () => callerFor(db, org.owner.userId);

/** A stand-in worker registered (platform token) as serving `baseModel`, online now. */
async function servingWorker(name: string, baseModel: string, maxBatchSize = 8) {
  const fake = await registeredServingWorker(db, name, baseModel, maxBatchSize);
  fakes.push(fake);
  return fake;
}

async function setOffline(workerId: string) {
  await db.execute(sql`update workers set last_seen_at = now() - interval '10 minutes' where id = ${workerId}`);
}

let versionSeq = 0;
/** A model with a succeeded version 1 whose adapter files are in blob storage. */
const trainedVersion = (baseModel: string) => trainedVersionWithAdapter(db, orgId, `served-${++versionSeq}`, baseModel);

async function deployed(baseModel: string, name?: string) {
  const version = await trainedVersion(baseModel);
  const { id } = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1, name });
  const status = await scheduleActivation(db, gateway, id);
  const [row] = await db.select().from(deployments).where(sql`${deployments.id} = ${id}`);
  return { ...version, id, status, row: row! };
}

let keySecret = "";
beforeAll(async () => {
  keySecret = (await createApiKey(db, { orgId, name: "all", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null })).secret;
});

function post(path: "chat" | "completions", body: unknown, key: string | null = keySecret, raw?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const req = new Request(`http://test/v1/${path === "chat" ? "chat/completions" : "completions"}`, { method: "POST", headers, body: raw ?? JSON.stringify(body) });
  return path === "chat" ? api.chatCompletions(req, {}) : api.completions(req, {});
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content: "Hello?" }], max_tokens: 8, ...extra });

/** Reads an SSE response to its end: the parsed data events, and whether it ended with [DONE]. */
async function readSse(response: Response) {
  const parser = new SseParser();
  const events: string[] = [];
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    events.push(...parser.push(value));
  }
  const done = events.at(-1) === "[DONE]";
  return { done, chunks: events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e) as Record<string, any>) }; // eslint-disable-line @typescript-eslint/no-explicit-any -- OpenAI chunks, checked field by field
}

describe("deploy", () => {
  it("is refused with the reason when no online worker serves the base model", async () => {
    const version = await trainedVersion("base-none");
    await expectTRPCError(owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1 }), "PRECONDITION_FAILED", /No online worker serves base model base-none: start one with --serve/);
    expect((await owner().deployments.forModel({ orgSlug: org.slug, modelSlug: version.modelSlug })).servingWorkers).toBe(0);
    await expectTRPCError(owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 2 }), "NOT_FOUND", /no trained version 2/);
  });

  it("goes pending → loading → ready, preloading the adapter with signed URLs on its affinity workers", async () => {
    const [a, b, c] = await Promise.all(["dep-a", "dep-b", "dep-c"].map((n) => servingWorker(n, "base-deploy")));
    const version = await trainedVersion("base-deploy");
    const { id, name } = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    expect(name).toBe(`${version.modelSlug}-v1`);
    const seen = (await owner().deployments.get({ orgSlug: org.slug, name })).status;
    expect(["pending", "loading", "ready"]).toContain(seen);
    expect(await scheduleActivation(db, gateway, id)).toBe("ready");
    const got = await owner().deployments.get({ orgSlug: org.slug, name });
    expect(got).toMatchObject({ status: "ready", servingWorkers: 3, versionNumber: 1, baseModel: "base-deploy" });
    expect(got.statusMessage).toMatch(/^Loaded on dep-., dep-. in 7 ms\.$/);
    const puts = [a!, b!, c!].flatMap((f) => f.calls.filter((call) => call.method === "PUT").map((call) => ({ worker: f.name, ...call })));
    expect(puts).toHaveLength(2);
    const expected = rendezvousOrder(version.fineTuneId, [a!, b!, c!].map((f) => ({ id: f.workerId, name: f.name }))).slice(0, 2).map((w) => w.name);
    expect(puts.map((p) => p.worker).sort()).toEqual(expected.sort());
    for (const p of puts) {
      expect(p.signatureOk).toBe(true);
      expect(p.path).toBe(`/adapters/${version.fineTuneId}`);
      const files = (p.body as { files: { name: string; url: string }[] }).files;
      expect(files.map((f) => f.name)).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
      expect(files[1]!.url).toContain(encodeURIComponent("adapter_model.safetensors").replace(/%2F/g, "/"));
    }
    // A default name is not reused while taken; a chosen one is refused while running.
    const second = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    expect(second.name).toBe(`${version.modelSlug}-v1-2`);
    await expectTRPCError(owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1, name }), "CONFLICT", /is taken by a running deployment/);
    await expectTRPCError(owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1, name: "Bad Name!" }), "BAD_REQUEST", /lowercase letters/);
    await scheduleActivation(db, gateway, second.id);
  });

  it.each([
    { why: "the adapter does not fit the base model", behaviour: "reject-adapter", base: "base-reject", reason: "The adapter does not load on base-reject: lora rank 64 is greater than max_lora_rank 16" },
    {
      why: "the worker runs out of GPU memory loading the adapter",
      behaviour: "oom-on-load",
      base: "base-oom",
      reason: "No worker could load the adapter (worker-base-oom: the worker ran out of GPU memory for this request; retry it, or on another worker). Check the workers on the Workers page, then deploy again.",
    },
  ] as const)("fails with the worker's reason when $why", async ({ behaviour, base, reason }) => {
    const w = await servingWorker(`worker-${base}`, base);
    w.behaviour = behaviour;
    const d = await deployed(base);
    expect(d.status).toBe("failed");
    expect(d.row.statusMessage).toBe(reason);
  });

  it("fails with each worker's reason when none can be reached, and redeploys once one is back", async () => {
    const w = await servingWorker("unreachable", "base-gone");
    await w.stop();
    const d = await deployed("base-gone");
    expect(d.status).toBe("failed");
    expect(d.row.statusMessage).toMatch(/^No worker could load the adapter \(unreachable: connection refused\)\. Check the workers on the Workers page/);
    await setOffline(w.workerId);
    const back = await servingWorker("back", "base-gone");
    const { id } = await owner().deployments.redeploy({ orgSlug: org.slug, deploymentId: d.id });
    expect(id).toBe(d.id);
    expect(await scheduleActivation(db, gateway, id)).toBe("ready");
    expect(back.adapters.has(d.fineTuneId)).toBe(true);
  });

  it("fails when every worker went offline between deploy and activation", async () => {
    const w = await servingWorker("leaving", "base-leaving");
    const version = await trainedVersion("base-leaving");
    const { id } = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    await setOffline(w.workerId);
    // The deploy call started activation already; it may have won the race, so activate once more.
    await scheduleActivation(db, gateway, id);
    await db.update(deployments).set({ status: "pending" }).where(sql`${deployments.id} = ${id}`);
    expect(await scheduleActivation(db, gateway, id)).toBe("failed");
    expect((await owner().deployments.list({ orgSlug: org.slug })).find((d) => d.id === id)).toMatchObject({
      status: "failed",
      statusMessage: "No online worker serves base model base-leaving: start one with --serve (see the Workers page), then deploy again.",
      servingWorkers: 0,
    });
  });

  it("a deployment left loading by a restarted server is activated again when listed", async () => {
    const w = await servingWorker("resumer", "base-resume");
    const d = await deployed("base-resume");
    w.adapters.clear();
    await db.update(deployments).set({ status: "loading", updatedAt: sql`now() - interval '10 minutes'` }).where(eq(deployments.id, d.id));
    const puts = () => w.calls.filter((c) => c.method === "PUT").length;
    const before = puts();
    const listed = (await owner().deployments.list({ orgSlug: org.slug })).find((r) => r.id === d.id);
    expect(listed?.status).toBe("loading");
    await expect.poll(() => owner().deployments.get({ orgSlug: org.slug, name: d.row.name }).then((r) => r.status)).toBe("ready");
    expect(puts()).toBe(before + 1);
    expect(w.adapters.has(d.fineTuneId)).toBe(true);
    // A loading row that moved recently is left to the activation that owns it.
    await db.update(deployments).set({ status: "loading", updatedAt: sql`now()` }).where(eq(deployments.id, d.id));
    await owner().deployments.list({ orgSlug: org.slug });
    await new Promise((r) => setTimeout(r, 200));
    expect(puts()).toBe(before + 1);
    expect((await owner().deployments.get({ orgSlug: org.slug, name: d.row.name })).status).toBe("loading");
  });

  it("stop makes the name unknown to the API, evicts the adapter, and the name can be deployed again with the same id", async () => {
    const w = await servingWorker("stopper", "base-stop");
    const d = await deployed("base-stop", "stop-me");
    expect((await post("chat", chat("stop-me"))).status).toBe(200);
    const stopped = await owner().deployments.stop({ orgSlug: org.slug, deploymentId: d.id });
    expect(stopped.id).toBe(d.id);
    await expect.poll(() => w.adapters.has(d.fineTuneId)).toBe(false);
    expect(w.calls.some((c) => c.method === "DELETE" && c.path === `/adapters/${d.fineTuneId}` && c.signatureOk)).toBe(true);
    const gone = await post("chat", chat("stop-me"));
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    await expectTRPCError(owner().deployments.stop({ orgSlug: org.slug, deploymentId: d.id }), "NOT_FOUND");
    const again = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: d.modelSlug, versionNumber: 1, name: "stop-me" });
    expect(again.id).toBe(d.id);
    expect(await scheduleActivation(db, gateway, again.id)).toBe("ready");
    expect((await post("chat", chat("stop-me"))).status).toBe(200);
  });
});

describe("routing", () => {
  const pool = (n: number): ServingWorker[] => Array.from({ length: n }, (_, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, name: `w${i}`, url: "http://x", baseModel: "m", maxBatchSize: 4, tokenHash: "" }));

  it("rendezvous order is stable, spreads adapters evenly, and losing a worker moves only its adapters", () => {
    const workers = pool(4);
    const firsts = new Map<string, number>();
    const owners = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      const top = rendezvousOrder(`adapter-${i}`, workers)[0]!.name;
      owners.set(`adapter-${i}`, top);
      firsts.set(top, (firsts.get(top) ?? 0) + 1);
      expect(rendezvousOrder(`adapter-${i}`, [...workers].reverse())[0]!.name).toBe(top);
    }
    for (const w of workers) expect(firsts.get(w.name)).toBeGreaterThan(400);
    const without = workers.filter((w) => w.name !== "w2");
    for (const [adapter, top] of owners) if (top !== "w2") expect(rendezvousOrder(adapter, without)[0]!.name).toBe(top);
  });

  it("least load among the top two, relative to batch size; the rest only as failover", () => {
    const workers = pool(3);
    const tracker = new LoadTracker();
    const [first, second, third] = rendezvousOrder("a", workers);
    expect(routeOrder("a", workers, tracker).map((w) => w.name)).toEqual([first!.name, second!.name, third!.name]);
    const end = tracker.begin(first!.id);
    expect(routeOrder("a", workers, tracker).map((w) => w.name)).toEqual([second!.name, first!.name, third!.name]);
    end();
    end();
    expect(tracker.load(first!.id)).toBe(0);
  });

  it("the same adapter goes to the same worker while it is up, and moves when it goes offline", async () => {
    const ws = await Promise.all(["aff-1", "aff-2", "aff-3"].map((n) => servingWorker(n, "base-affinity")));
    const d = await deployed("base-affinity", "affinity");
    for (let i = 0; i < 6; i++) {
      const response = await post("chat", chat("affinity"));
      expect(response.status).toBe(200);
    }
    const used = ws.filter((w) => w.completions().length > 0);
    expect(used).toHaveLength(1);
    expect(used[0]!.completions()).toHaveLength(6);
    const top = rendezvousOrder(d.fineTuneId, ws.map((w) => ({ id: w.workerId, name: w.name })))[0]!.name;
    expect(used[0]!.name).toBe(top);
    await setOffline(used[0]!.workerId);
    const answer = (await (await post("chat", chat("affinity"))).json()) as { choices: { message: { content: string } }[] };
    const next = rendezvousOrder(d.fineTuneId, ws.filter((w) => w !== used[0]).map((w) => ({ id: w.workerId, name: w.name })))[0]!.name;
    expect(answer.choices[0]!.message.content).toBe(`answer from ${next}`);
  });

  it("spreads concurrent requests for one adapter over its two affinity workers, never a third", async () => {
    const ws = await Promise.all(["load-1", "load-2", "load-3"].map((n) => servingWorker(n, "base-load", 2)));
    const d = await deployed("base-load", "busy");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    for (const w of ws) w.hold = gate;
    const responses = Array.from({ length: 4 }, () => post("chat", chat("busy")));
    await expect.poll(() => ws.reduce((n, w) => n + w.completions().length, 0)).toBe(4);
    const affinity = rendezvousOrder(d.fineTuneId, ws.map((w) => ({ id: w.workerId, name: w.name }))).slice(0, 2).map((w) => w.name);
    expect(Object.fromEntries(ws.map((w) => [w.name, w.completions().length]))).toEqual(Object.fromEntries(ws.map((w) => [w.name, affinity.includes(w.name) ? 2 : 0])));
    release();
    for (const r of await Promise.all(responses)) expect(r.status).toBe(200);
    expect(ws.every((w) => gateway.loads.load(w.workerId) === 0)).toBe(true);
  });
});

describe("failover and streaming", () => {
  async function twoWorkers(base: string, name: string) {
    const ws = await Promise.all([`${base}-x`, `${base}-y`].map((n) => servingWorker(n, base)));
    const d = await deployed(base, name);
    const [first, second] = rendezvousOrder(d.fineTuneId, ws.map((w) => ({ id: w.workerId, name: w.name }))).map((r) => ws.find((w) => w.name === r.name)!);
    return { first: first!, second: second!, d };
  }

  it("a worker that refuses connections: the next one answers", async () => {
    const { first, second } = await twoWorkers("fo-refuse", "refuse");
    await first.stop();
    const response = await post("chat", chat("refuse"));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`answer from ${second.name}`);
  });

  it("a worker that answers 500: the next one answers, streaming too", async () => {
    const { first, second } = await twoWorkers("fo-500", "five-hundred");
    first.behaviour = "error-500";
    const { done, chunks } = await readSse(await post("chat", chat("five-hundred", { stream: true })));
    expect(done).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(`answer from ${second.name}`);
    expect(first.completions()).toHaveLength(1);
  });

  it("a worker that dies before the first token: the client sees only the next worker's answer", async () => {
    const { first, second } = await twoWorkers("fo-early", "early-death");
    first.behaviour = "die-before-first-token";
    const { done, chunks } = await readSse(await post("chat", chat("early-death", { stream: true })));
    expect(done).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta?.role === "assistant")).toHaveLength(1);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(`answer from ${second.name}`);
    expect(chunks.every((c) => c.model === "early-death" && !("usage" in c))).toBe(true);
  });

  it("a worker that dies after the first token: the stream ends with an OpenAI error event, no [DONE]", async () => {
    const { first, second } = await twoWorkers("fo-mid", "mid-death");
    first.behaviour = "die-mid-stream";
    const response = await post("completions", { model: "mid-death", prompt: "Once", stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const { done, chunks } = await readSse(response);
    expect(done).toBe(false);
    expect(chunks.slice(0, -1).map((c) => c.choices[0].text).join("")).toBe("answer from ");
    expect(chunks.at(-1)).toEqual({ error: { message: expect.stringMatching(/^The worker serving mid-death failed mid-answer/), type: "server_error", param: null, code: "worker_failed" } });
    expect(second.completions()).toHaveLength(0);
    expect(gateway.loads.load(first.workerId)).toBe(0);
  });

  it("a worker that sends nothing within the first-token timeout: the next one answers", async () => {
    const { first, second } = await twoWorkers("fo-slow", "slow");
    let release!: () => void;
    first.hold = new Promise<void>((resolve) => (release = resolve));
    const started = Date.now();
    const { done, chunks } = await readSse(await post("chat", chat("slow", { stream: true })));
    release();
    expect(Date.now() - started).toBeGreaterThanOrEqual(gateway.options.firstTokenTimeoutMs - 100);
    expect(done).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(`answer from ${second.name}`);
    expect(gateway.loads.load(first.workerId)).toBe(0);
  });

  it("a client that goes away mid-stream: the worker's stream is closed and the load released", async () => {
    const { first } = await twoWorkers("fo-gone", "gone");
    first.behaviour = "stall-mid-stream";
    let release!: () => void;
    first.hold = new Promise<void>((resolve) => (release = resolve));
    const response = await post("chat", chat("gone", { stream: true }));
    const reader = response.body!.getReader();
    let seen = "";
    while (!seen.includes('"content":"answer "')) seen += new TextDecoder().decode((await reader.read()).value);
    expect(gateway.loads.load(first.workerId)).toBe(1);
    await reader.cancel();
    await expect.poll(() => first.abandoned).toBe(1);
    expect(gateway.loads.load(first.workerId)).toBe(0);
    release();
  });

  it("every worker failing before the first token: 503 with Retry-After and each reason", async () => {
    const { first, second } = await twoWorkers("fo-all", "all-fail");
    first.behaviour = "error-500";
    await second.stop();
    const response = await post("chat", chat("all-fail"));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const { error } = (await response.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe("worker_unavailable");
    expect(error.message).toContain(`${first.name}: HTTP 500 CUDA out of memory`);
    expect(error.message).toContain(`${second.name}: connection refused`);
  });

  it("a worker out of GPU memory loading the adapter just in time: the next one answers; with none left, a 503 naming it; their other deployments still answer", async () => {
    const { first, second, d } = await twoWorkers("fo-oom", "oom-model");
    const other = await deployed("fo-oom", "oom-other");
    expect(other.status).toBe("ready");
    for (const w of [first, second]) w.adapters.delete(d.fineTuneId);
    first.behaviour = "oom-on-load";
    const puts = (w: typeof first) => w.calls.filter((c) => c.method === "PUT" && c.path === `/adapters/${d.fineTuneId}`).length;
    const before = puts(first);
    const answered = await post("chat", chat("oom-model"));
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`answer from ${second.name}`);
    expect(puts(first)).toBe(before + 1);

    second.adapters.delete(d.fineTuneId);
    second.behaviour = "oom-on-load";
    const refused = await post("chat", chat("oom-model"));
    expect(refused.status).toBe(503);
    const { error } = (await refused.json()) as { error: { message: string; type: string; param: string | null; code: string } };
    expect(error).toMatchObject({ type: "server_error", param: null, code: "worker_unavailable" });
    for (const w of [first, second]) expect(error.message).toContain(`${w.name}: loading the adapter failed: the worker ran out of GPU memory for this request`);
    expect((await post("chat", chat("oom-other"))).status).toBe(200);
    expect(gateway.loads.load(first.workerId) + gateway.loads.load(second.workerId)).toBe(0);
  });

  it("a worker without the adapter loads it just in time and answers", async () => {
    const { first, d } = await twoWorkers("fo-jit", "jit");
    first.adapters.clear();
    const response = await post("chat", chat("jit"));
    expect(response.status).toBe(200);
    expect(first.calls.slice(-3).map((c) => `${c.method} ${c.path}`)).toEqual(["POST /v1/chat/completions", `PUT /adapters/${d.fineTuneId}`, "POST /v1/chat/completions"]);
  });
});

describe("/v1 API", () => {
  let ready: Awaited<ReturnType<typeof deployed>>;
  beforeAll(async () => {
    await servingWorker("api-1", "base-api");
    ready = await deployed("base-api", "api-model");
  });

  const errorOf = async (response: Response) => ({ status: response.status, ...((await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }) });

  it("401 without a key, with a wrong one, or a revoked one", async () => {
    expect(await errorOf(await post("chat", chat("api-model"), null))).toMatchObject({ status: 401, error: { type: "invalid_request_error", code: "invalid_api_key" } });
    expect(await errorOf(await post("chat", chat("api-model"), "trb_nope"))).toMatchObject({ status: 401, error: { message: expect.stringMatching(/Incorrect API key/) } });
    const models = await api.models(new Request("http://test/v1/models"), {});
    expect(models.status).toBe(401);
    const revoked = await createApiKey(db, { orgId, name: "revoked", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
    expect((await post("chat", chat("api-model"), revoked.secret)).status).toBe(200);
    await revokeApiKey(db, orgId, revoked.id);
    expect(await errorOf(await post("chat", chat("api-model"), revoked.secret))).toMatchObject({ status: 401, error: { message: expect.stringMatching(/was revoked/) } });
  });

  // Another web replica: its own connection pool, key cache and /v1 handlers on the same database.
  async function withReplica(run: (call: (key: string) => Promise<Response>, cache: ReturnType<typeof apiKeyCacheFor>) => Promise<void>) {
    const replica = openDatabase({ url: database.url! });
    const replicaApi = createV1Api(() => ({ db: replica.db, store: testBlobs }));
    try {
      const cache = apiKeyCacheFor(replica.db);
      await vi.waitFor(() => expect(cache.serving).toBe(true));
      const call = (key: string) =>
        replicaApi.chatCompletions(new Request("http://test/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(chat("api-model")) }), {});
      await run(call, cache);
    } finally {
      await replicaApi.flushUsage();
      await closeApiKeyCache(replica.db);
      await replica.close();
    }
  }

  // One PGlite process has no other replica: a revoke drops the key from its cache directly (above).
  const onPostgres = process.env.TEST_DB === "postgres";

  it.runIf(onPostgres)("a key revoked, re-scoped or deleted through another server process is refused here within milliseconds (LISTEN/NOTIFY)", async () => {
    await withReplica(async (call) => {
      const key = await createApiKey(db, { orgId, name: "replicated", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
      expect((await call(key.secret)).status).toBe(200);
      const refusedWithin = async (status: number) => {
        const start = performance.now();
        await vi.waitFor(async () => expect((await call(key.secret)).status).toBe(status), { timeout: 2000, interval: 1 });
        return performance.now() - start;
      };
      // Scoped to another deployment by a direct write (the trigger announces it), then revoked on the API keys page of this process.
      const other = await deployed("base-api", "api-replica-scope");
      await db.transaction(async (tx) => {
        await tx.update(apiKeys).set({ allDeployments: false }).where(eq(apiKeys.id, key.id));
        await tx.insert(apiKeyDeployments).values({ keyId: key.id, deploymentId: other.id });
      });
      expect(await refusedWithin(403)).toBeLessThan(500);
      await owner().apiKeys.revoke({ orgSlug: org.slug, keyId: key.id });
      expect(await refusedWithin(401)).toBeLessThan(500);
      const deleted = await createApiKey(db, { orgId, name: "deleted", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
      expect((await call(deleted.secret)).status).toBe(200);
      await db.delete(apiKeys).where(eq(apiKeys.id, deleted.id));
      await vi.waitFor(async () => expect((await call(deleted.secret)).status).toBe(401), { timeout: 2000, interval: 1 });
    });
  });

  it.runIf(onPostgres)("while its listener is down a replica reads every key from the database, and trusts its cache again once it listens", async () => {
    await withReplica(async (call, cache) => {
      const key = await createApiKey(db, { orgId, name: "unheard", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
      expect((await call(key.secret)).status).toBe(200);
      await db.execute(sql`alter table api_keys disable trigger api_keys_changed`);
      try {
        // A change nobody announces is not seen while the cache is trusted: the key really is served from memory.
        await db.update(apiKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiKeys.id, key.id));
        expect((await call(key.secret)).status).toBe(200);
        // Both replicas' listeners lose their connections: changes could be missed, so keys are read again.
        await db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${LISTENER_APPLICATION_NAME} and datname = current_database()`);
        await vi.waitFor(() => expect(cache.serving).toBe(false), { interval: 1 });
        expect((await call(key.secret)).status).toBe(401);
      } finally {
        await db.execute(sql`alter table api_keys enable trigger api_keys_changed`);
      }
      await vi.waitFor(() => expect(cache.serving).toBe(true), { timeout: 5000 });
      expect((await call(key.secret)).status).toBe(401);
      await db.update(apiKeys).set({ expiresAt: null }).where(eq(apiKeys.id, key.id));
      await vi.waitFor(async () => expect((await call(key.secret)).status).toBe(200), { timeout: 2000, interval: 1 });
    });
  });

  it("400 for malformed JSON and for a wrong field, naming it", async () => {
    expect(await errorOf(await post("chat", null, keySecret, "{not json"))).toMatchObject({ status: 400, error: { code: "invalid_json" } });
    const huge = JSON.stringify(chat("api-model", { messages: [{ role: "user", content: "x".repeat(9 << 20) }] }));
    expect(await errorOf(await post("chat", null, keySecret, huge))).toMatchObject({ status: 413, error: { code: "request_too_large" } });
    expect(await errorOf(await post("chat", { ...chat("api-model"), temperature: 7 }))).toMatchObject({ status: 400, error: { param: "temperature", type: "invalid_request_error" } });
    expect(await errorOf(await post("chat", { model: "api-model", messages: [] }))).toMatchObject({ status: 400, error: { param: "messages" } });
    expect(await errorOf(await post("chat", { model: "api-model", messages: [{ role: "robot", content: "x" }] }))).toMatchObject({ status: 400, error: { param: "messages[0].role" } });
    expect(await errorOf(await post("chat", { ...chat("api-model"), tools: [{ type: "function" }] }))).toMatchObject({ status: 400, error: { param: "tools", code: "unsupported_parameter" } });
  });

  it("404 for an unknown model, 403 for a key not scoped to it", async () => {
    expect(await errorOf(await post("chat", chat("no-such-model")))).toMatchObject({ status: 404, error: { code: "model_not_found", param: "model" } });
    const other = await deployed("base-api", "api-other");
    const scoped = await createApiKey(db, { orgId, name: "scoped", createdBy: null, deploymentIds: [other.id], expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
    expect(await errorOf(await post("chat", chat("api-model"), scoped.secret))).toMatchObject({ status: 403, error: { param: "model" } });
    expect((await post("chat", chat("api-other"), scoped.secret)).status).toBe(200);
    const listed = (await (await api.models(new Request("http://test/v1/models", { headers: { authorization: `Bearer ${scoped.secret}` } }), {})).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toEqual(["api-other"]);
    const all = (await (await api.models(new Request("http://test/v1/models", { headers: { authorization: `Bearer ${keySecret}` } }), {})).json()) as { object: string; data: { id: string; object: string }[] };
    expect(all.object).toBe("list");
    expect(all.data.map((m) => m.id)).toEqual(expect.arrayContaining(["api-model", "api-other"]));
  });

  it("429 with Retry-After over a key's request limit", async () => {
    const limited = await createApiKey(db, { orgId, name: "limited", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: 2, tokensPerMinute: null });
    expect((await post("chat", chat("api-model"), limited.secret)).status).toBe(200);
    expect((await post("chat", chat("api-model"), limited.secret)).status).toBe(200);
    const refused = await post("chat", chat("api-model"), limited.secret);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
  });

  it("503 naming the fix when no worker serves the base model any more", async () => {
    const lonely = await servingWorker("lonely", "base-lonely");
    await deployed("base-lonely", "lonely-model");
    await setOffline(lonely.workerId);
    const { status, error } = await errorOf(await post("chat", chat("lonely-model")));
    expect(status).toBe(503);
    expect(error).toMatchObject({ code: "no_worker_available", message: "No online worker serves base model base-lonely: start one with --serve." });
  });

  it("answers with the deployment's name as model and meters usage per key and deployment", async () => {
    const metered = await createApiKey(db, { orgId, name: "metered", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
    const plain = (await (await post("chat", chat("api-model"), metered.secret)).json()) as { model: string; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(plain.model).toBe("api-model");
    // Streamed without include_usage: no usage in the chunks, but it is metered from the worker's usage chunk.
    const hidden = await readSse(await post("chat", chat("api-model", { stream: true }), metered.secret));
    expect(hidden.chunks.some((c) => "usage" in c)).toBe(false);
    const shown = await readSse(await post("chat", chat("api-model", { stream: true, stream_options: { include_usage: true } }), metered.secret));
    expect(shown.chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } });
    await api.flushUsage();
    const rows = await db.select().from(apiUsageDaily).where(eq(apiUsageDaily.keyId, metered.id));
    expect(rows).toEqual([expect.objectContaining({ deploymentId: ready.id, requests: 3, errors: 0, promptTokens: 15, completionTokens: 9 })]);
    expect((await usageSeries(db, orgId, { days: 1, keyId: metered.id })).at(-1)).toMatchObject({ requests: 3, promptTokens: 15, completionTokens: 9 });
  });
});
