// The gateway's routing on PGlite and on real Postgres: affinity and load spreading, failover
// before the first token, a clean SSE error after it, timeouts, clients going away, adapters loaded
// just in time. Failures come from stand-in workers (tests/helpers/fake-serving-worker.ts).
import { describe, expect, it } from "vitest";
import { LoadTracker, rendezvousOrder, routeOrder } from "@/server/serving/routing";
import type { ServingWorker } from "@/server/serving/worker-client";
import { chat, readSse, gatewayFixture } from "../helpers/gateway-fixture";

const fx = gatewayFixture();

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
    const ws = await Promise.all(["aff-1", "aff-2", "aff-3"].map((n) => fx.servingWorker(n, "base-affinity")));
    const d = await fx.deployed("base-affinity", "affinity");
    for (let i = 0; i < 6; i++) {
      const response = await fx.post("chat", chat("affinity"));
      expect(response.status).toBe(200);
    }
    const used = ws.filter((w) => w.completions().length > 0);
    expect(used).toHaveLength(1);
    expect(used[0]!.completions()).toHaveLength(6);
    const top = rendezvousOrder(d.fineTuneId, ws.map((w) => ({ id: w.workerId, name: w.name })))[0]!.name;
    expect(used[0]!.name).toBe(top);
    await fx.setOffline(used[0]!.workerId);
    const answer = (await (await fx.post("chat", chat("affinity"))).json()) as { choices: { message: { content: string } }[] };
    const next = rendezvousOrder(d.fineTuneId, ws.filter((w) => w !== used[0]).map((w) => ({ id: w.workerId, name: w.name })))[0]!.name;
    expect(answer.choices[0]!.message.content).toBe(`answer from ${next}`);
  });

  it("spreads concurrent requests for one adapter over its two affinity workers, never a third", async () => {
    const ws = await Promise.all(["load-1", "load-2", "load-3"].map((n) => fx.servingWorker(n, "base-load", 2)));
    const d = await fx.deployed("base-load", "busy");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    for (const w of ws) w.hold = gate;
    const responses = Array.from({ length: 4 }, () => fx.post("chat", chat("busy")));
    await expect.poll(() => ws.reduce((n, w) => n + w.completions().length, 0)).toBe(4);
    const affinity = rendezvousOrder(d.fineTuneId, ws.map((w) => ({ id: w.workerId, name: w.name }))).slice(0, 2).map((w) => w.name);
    expect(Object.fromEntries(ws.map((w) => [w.name, w.completions().length]))).toEqual(Object.fromEntries(ws.map((w) => [w.name, affinity.includes(w.name) ? 2 : 0])));
    release();
    for (const r of await Promise.all(responses)) expect(r.status).toBe(200);
    expect(ws.every((w) => fx.gateway.loads.load(w.workerId) === 0)).toBe(true);
  });
});

describe("failover and streaming", () => {
  async function twoWorkers(base: string, name: string) {
    const ws = await Promise.all([`${base}-x`, `${base}-y`].map((n) => fx.servingWorker(n, base)));
    const d = await fx.deployed(base, name);
    const [first, second] = rendezvousOrder(d.fineTuneId, ws.map((w) => ({ id: w.workerId, name: w.name }))).map((r) => ws.find((w) => w.name === r.name)!);
    return { first: first!, second: second!, d };
  }

  it("a worker that refuses connections: the next one answers", async () => {
    const { first, second } = await twoWorkers("fo-refuse", "refuse");
    await first.stop();
    const response = await fx.post("chat", chat("refuse"));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`answer from ${second.name}`);
  });

  it("a worker that answers 500: the next one answers, streaming too", async () => {
    const { first, second } = await twoWorkers("fo-500", "five-hundred");
    first.behaviour = "error-500";
    const { done, chunks } = await readSse(await fx.post("chat", chat("five-hundred", { stream: true })));
    expect(done).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(`answer from ${second.name}`);
    expect(first.completions()).toHaveLength(1);
  });

  it("a worker that dies before the first token: the client sees only the next worker's answer", async () => {
    const { first, second } = await twoWorkers("fo-early", "early-death");
    first.behaviour = "die-before-first-token";
    const { done, chunks } = await readSse(await fx.post("chat", chat("early-death", { stream: true })));
    expect(done).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta?.role === "assistant")).toHaveLength(1);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(`answer from ${second.name}`);
    expect(chunks.every((c) => c.model === "early-death" && !("usage" in c))).toBe(true);
  });

  it("a worker that dies after the first token: the stream ends with an OpenAI error event, no [DONE]", async () => {
    const { first, second } = await twoWorkers("fo-mid", "mid-death");
    first.behaviour = "die-mid-stream";
    const response = await fx.post("completions", { model: "mid-death", prompt: "Once", stream: true });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const { done, chunks } = await readSse(response);
    expect(done).toBe(false);
    expect(chunks.slice(0, -1).map((c) => c.choices[0]!.text).join("")).toBe("answer from ");
    expect(chunks.at(-1)).toEqual({ error: { message: expect.stringMatching(/^The worker serving mid-death failed mid-answer/), type: "server_error", param: null, code: "worker_failed" } });
    expect(second.completions()).toHaveLength(0);
    expect(fx.gateway.loads.load(first.workerId)).toBe(0);
  });

  it("a worker that sends nothing within the first-token timeout: the next one answers", async () => {
    const { first, second } = await twoWorkers("fo-slow", "slow");
    let release!: () => void;
    first.hold = new Promise<void>((resolve) => (release = resolve));
    const started = Date.now();
    const { done, chunks } = await readSse(await fx.post("chat", chat("slow", { stream: true })));
    release();
    expect(Date.now() - started).toBeGreaterThanOrEqual(fx.gateway.options.firstTokenTimeoutMs - 100);
    expect(done).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(`answer from ${second.name}`);
    expect(fx.gateway.loads.load(first.workerId)).toBe(0);
  });

  it("a client that goes away mid-stream: the worker's stream is closed and the load released", async () => {
    const { first } = await twoWorkers("fo-gone", "gone");
    first.behaviour = "stall-mid-stream";
    let release!: () => void;
    first.hold = new Promise<void>((resolve) => (release = resolve));
    const response = await fx.post("chat", chat("gone", { stream: true }));
    const reader = response.body!.getReader();
    let seen = "";
    while (!seen.includes('"content":"answer "')) seen += new TextDecoder().decode((await reader.read()).value);
    expect(fx.gateway.loads.load(first.workerId)).toBe(1);
    await reader.cancel();
    await expect.poll(() => first.abandoned).toBe(1);
    expect(fx.gateway.loads.load(first.workerId)).toBe(0);
    release();
  });

  it("a client that goes away before the first token: the call to the worker is closed and its load released, and no other worker is tried", async () => {
    const { first, second } = await twoWorkers("fo-left", "left");
    let release!: () => void;
    first.hold = new Promise<void>((resolve) => (release = resolve));
    const client = new AbortController();
    const call = fx.post("chat", chat("left", { stream: true }), undefined, undefined, client.signal).catch((error: unknown) => error);
    await expect.poll(() => first.completions().length).toBe(1);
    expect(fx.gateway.loads.load(first.workerId)).toBe(1);
    client.abort();
    expect(await call).toMatchObject({ name: "AbortError" });
    await expect.poll(() => first.closedWhileHeld).toBe(1);
    expect(fx.gateway.loads.load(first.workerId)).toBe(0);
    expect(second.completions()).toHaveLength(0);
    release();
  });

  it("every worker failing before the first token: 503 with Retry-After and each reason", async () => {
    const { first, second } = await twoWorkers("fo-all", "all-fail");
    first.behaviour = "error-500";
    await second.stop();
    const response = await fx.post("chat", chat("all-fail"));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const { error } = (await response.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe("worker_unavailable");
    expect(error.message).toContain(`${first.name}: HTTP 500 CUDA out of memory`);
    expect(error.message).toContain(`${second.name}: connection refused`);
  });

  it("a worker out of GPU memory loading the adapter just in time: the next one answers; with none left, a 503 naming it; their other deployments still answer", async () => {
    const { first, second, d } = await twoWorkers("fo-oom", "oom-model");
    const other = await fx.deployed("fo-oom", "oom-other");
    expect(other.status).toBe("ready");
    for (const w of [first, second]) w.adapters.delete(d.fineTuneId);
    first.behaviour = "oom-on-load";
    const puts = (w: typeof first) => w.calls.filter((c) => c.method === "PUT" && c.path === `/adapters/${d.fineTuneId}`).length;
    const before = puts(first);
    const answered = await fx.post("chat", chat("oom-model"));
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe(`answer from ${second.name}`);
    expect(puts(first)).toBe(before + 1);

    second.adapters.delete(d.fineTuneId);
    second.behaviour = "oom-on-load";
    const refused = await fx.post("chat", chat("oom-model"));
    expect(refused.status).toBe(503);
    const { error } = (await refused.json()) as { error: { message: string; type: string; param: string | null; code: string } };
    expect(error).toMatchObject({ type: "server_error", param: null, code: "worker_unavailable" });
    for (const w of [first, second]) expect(error.message).toContain(`${w.name}: loading the adapter failed: the worker ran out of GPU memory for this request`);
    expect((await fx.post("chat", chat("oom-other"))).status).toBe(200);
    expect(fx.gateway.loads.load(first.workerId) + fx.gateway.loads.load(second.workerId)).toBe(0);
  });

  it("a worker without the adapter loads it just in time and answers", async () => {
    const { first, d } = await twoWorkers("fo-jit", "jit");
    first.adapters.clear();
    const response = await fx.post("chat", chat("jit"));
    expect(response.status).toBe(200);
    expect(first.calls.slice(-3).map((c) => `${c.method} ${c.path}`)).toEqual(["POST /v1/chat/completions", `PUT /adapters/${d.fineTuneId}`, "POST /v1/chat/completions"]);
  });
});
