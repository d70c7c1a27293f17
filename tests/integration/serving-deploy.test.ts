// Deployments on PGlite and on real Postgres: deploy state transitions (pending → loading → ready,
// or failed with the worker's reason), activation after a restart, stop and redeploy. Failures come
// from stand-in workers (tests/helpers/fake-serving-worker.ts).
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deployments } from "@/server/db/schema";
import { scheduleActivation } from "@/server/serving/deployments";
import { rendezvousOrder } from "@/server/serving/routing";
import { expectTRPCError } from "../helpers/errors";
import { chat, gatewayFixture } from "../helpers/gateway-fixture";

const fx = gatewayFixture();

describe("deploy", () => {
  it("is refused with the reason when no online worker serves the base model", async () => {
    const version = await fx.trainedVersion("base-none");
    await expectTRPCError(fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: version.modelSlug, versionNumber: 1 }), "PRECONDITION_FAILED", /No online worker serves base model base-none: start one with --serve/);
    expect((await fx.owner().deployments.forModel({ orgSlug: fx.org.slug, modelSlug: version.modelSlug })).servingWorkers).toBe(0);
    await expectTRPCError(fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: version.modelSlug, versionNumber: 2 }), "NOT_FOUND", /no trained version 2/);
  });

  it("goes pending → loading → ready, preloading the adapter with signed URLs on its affinity workers", async () => {
    const [a, b, c] = await Promise.all(["dep-a", "dep-b", "dep-c"].map((n) => fx.servingWorker(n, "base-deploy")));
    const version = await fx.trainedVersion("base-deploy");
    const { id, name } = await fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    expect(name).toBe(`${version.modelSlug}-v1`);
    const seen = (await fx.owner().deployments.get({ orgSlug: fx.org.slug, name })).status;
    expect(["pending", "loading", "ready"]).toContain(seen);
    expect(await scheduleActivation(fx.db, fx.gateway, id)).toBe("ready");
    const got = await fx.owner().deployments.get({ orgSlug: fx.org.slug, name });
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
    const second = await fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    expect(second.name).toBe(`${version.modelSlug}-v1-2`);
    await expectTRPCError(fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: version.modelSlug, versionNumber: 1, name }), "CONFLICT", /is taken by a running deployment/);
    await expectTRPCError(fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: version.modelSlug, versionNumber: 1, name: "Bad Name!" }), "BAD_REQUEST", /lowercase letters/);
    await scheduleActivation(fx.db, fx.gateway, second.id);
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
    const w = await fx.servingWorker(`worker-${base}`, base);
    w.behaviour = behaviour;
    const d = await fx.deployed(base);
    expect(d.status).toBe("failed");
    expect(d.row.statusMessage).toBe(reason);
  });

  it("fails with each worker's reason when none can be reached, and redeploys once one is back", async () => {
    const w = await fx.servingWorker("unreachable", "base-gone");
    await w.stop();
    const d = await fx.deployed("base-gone");
    expect(d.status).toBe("failed");
    expect(d.row.statusMessage).toMatch(/^No worker could load the adapter \(unreachable: connection refused\)\. Check the workers on the Workers page/);
    await fx.setOffline(w.workerId);
    const back = await fx.servingWorker("back", "base-gone");
    const { id } = await fx.owner().deployments.redeploy({ orgSlug: fx.org.slug, deploymentId: d.id });
    expect(id).toBe(d.id);
    expect(await scheduleActivation(fx.db, fx.gateway, id)).toBe("ready");
    expect(back.adapters.has(d.fineTuneId)).toBe(true);
  });

  it("fails when every worker went offline between deploy and activation", async () => {
    const w = await fx.servingWorker("leaving", "base-leaving");
    const version = await fx.trainedVersion("base-leaving");
    const { id } = await fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    await fx.setOffline(w.workerId);
    // The deploy call started activation already; it may have won the race, so activate once more.
    await scheduleActivation(fx.db, fx.gateway, id);
    await fx.db.update(deployments).set({ status: "pending" }).where(sql`${deployments.id} = ${id}`);
    expect(await scheduleActivation(fx.db, fx.gateway, id)).toBe("failed");
    expect((await fx.owner().deployments.list({ orgSlug: fx.org.slug })).find((d) => d.id === id)).toMatchObject({
      status: "failed",
      statusMessage: "No online worker serves base model base-leaving: start one with --serve (see the Workers page), then deploy again.",
      servingWorkers: 0,
    });
  });

  it("a deployment left loading by a restarted server is activated again when listed", async () => {
    const w = await fx.servingWorker("resumer", "base-resume");
    const d = await fx.deployed("base-resume");
    w.adapters.clear();
    await fx.db.update(deployments).set({ status: "loading", updatedAt: sql`now() - interval '10 minutes'` }).where(eq(deployments.id, d.id));
    const puts = () => w.calls.filter((c) => c.method === "PUT").length;
    const before = puts();
    const listed = (await fx.owner().deployments.list({ orgSlug: fx.org.slug })).find((r) => r.id === d.id);
    expect(listed?.status).toBe("loading");
    await expect.poll(() => fx.owner().deployments.get({ orgSlug: fx.org.slug, name: d.row.name }).then((r) => r.status)).toBe("ready");
    expect(puts()).toBe(before + 1);
    expect(w.adapters.has(d.fineTuneId)).toBe(true);
    // A loading row that moved recently is left to the activation that owns it.
    await fx.db.update(deployments).set({ status: "loading", updatedAt: sql`now()` }).where(eq(deployments.id, d.id));
    await fx.owner().deployments.list({ orgSlug: fx.org.slug });
    await new Promise((r) => setTimeout(r, 200));
    expect(puts()).toBe(before + 1);
    expect((await fx.owner().deployments.get({ orgSlug: fx.org.slug, name: d.row.name })).status).toBe("loading");
  });

  it("stop makes the name unknown to the API, evicts the adapter, and the name can be deployed again with the same id", async () => {
    const w = await fx.servingWorker("stopper", "base-stop");
    const d = await fx.deployed("base-stop", "stop-me");
    expect((await fx.post("chat", chat("stop-me"))).status).toBe(200);
    const stopped = await fx.owner().deployments.stop({ orgSlug: fx.org.slug, deploymentId: d.id });
    expect(stopped.id).toBe(d.id);
    await expect.poll(() => w.adapters.has(d.fineTuneId)).toBe(false);
    expect(w.calls.some((c) => c.method === "DELETE" && c.path === `/adapters/${d.fineTuneId}` && c.signatureOk)).toBe(true);
    const gone = await fx.post("chat", chat("stop-me"));
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    await expectTRPCError(fx.owner().deployments.stop({ orgSlug: fx.org.slug, deploymentId: d.id }), "NOT_FOUND");
    const again = await fx.owner().deployments.deploy({ orgSlug: fx.org.slug, modelSlug: d.modelSlug, versionNumber: 1, name: "stop-me" });
    expect(again.id).toBe(d.id);
    expect(await scheduleActivation(fx.db, fx.gateway, again.id)).toBe("ready");
    expect((await fx.post("chat", chat("stop-me"))).status).toBe(200);
  });
});
