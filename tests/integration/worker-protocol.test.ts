// The worker protocol's HTTP handlers with a fine-tune launched through tRPC: tokens,
// register, lease with signed URLs, heartbeat, upload, complete → model version, playground.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/server/db/connect";
import { hostedModelIds, hostModel } from "@/server/jobs/hosted-models";
import { createWorkerApi } from "@/server/jobs/worker-api";
import { workerPoolStatus } from "@/server/jobs/workers";
import type { FinetuneResult } from "@/server/jobs/protocol";
import { handleBlobRequest } from "@/server/storage/http";
import { callerFor, testBlobs } from "../helpers/context";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { addMemberVia, createOrgWithOwner, type TestOrg } from "../helpers/orgs";

let database: TestDatabase;
let db: Db;
let org: TestOrg;
let versionId: string;
const api = createWorkerApi(() => ({ db, store: testBlobs, policy: { leaseSeconds: 60, retryBaseSeconds: 0, retryMaxSeconds: 0 } }));
type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function call(handler: Handler, token: string | null, body: unknown, jobId?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await handler(new Request("http://test/api/worker/v1", { method: "POST", headers, body: JSON.stringify(body) }), {
    params: Promise.resolve<Record<string, string>>(jobId ? { jobId } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- protocol answers are checked field by field
}

const cpu = { device: "cpu", gpuName: null, gpuMemoryGb: 0, models: ["tiny-llama"], kinds: ["finetune", "generate"] };
const progress = { step: 3, totalSteps: 6, epoch: 1, loss: 1.5, learningRate: 1e-4, tokensPerSecond: 900, etaSeconds: 4 };

/** Uploads through the signed URL the server handed out, as the worker's HTTP PUT would. */
async function putSigned(url: string, bytes: string) {
  const { pathname, searchParams } = new URL(url);
  const key = decodeURIComponent(pathname.replace(/^\/api\/blobs\//, ""));
  const response = await handleBlobRequest(new Request(url, { method: "PUT", body: bytes }), { store: testBlobs, secret: "test-secret-for-signed-blob-urls", op: "put", key });
  expect(response.status, `PUT ${key}?${searchParams}`).toBeLessThan(300);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  org = await createOrgWithOwner(db, "Herbalists");
  const records = Array.from({ length: 12 }, (_, i) => chatRecord(`What helps with ailment ${i}?`, `Remedy number ${i}.`));
  ({ version: { id: versionId } } = await publishedDatanet(db, org, "Remedies", records));
});
afterAll(() => database.close());

async function tokenFor(o: TestOrg) {
  return (await callerFor(db, o.owner.userId).workers.createToken({ orgSlug: o.slug, name: "gpu-box-1" })).token;
}

async function registered(token: string) {
  const { status, json } = await call(api.register, token, { name: "gpu-box-1", version: "0.1.0", capabilities: cpu });
  expect(status).toBe(200);
  return json.workerId as string;
}

describe("worker tokens", () => {
  it("are shown once, listed by prefix, refused when missing, unknown or revoked", async () => {
    const owner = callerFor(db, org.owner.userId);
    const created = await owner.workers.createToken({ orgSlug: org.slug, name: "laptop" });
    expect(created.token).toMatch(/^trw_/);
    const listed = await owner.workers.tokens({ orgSlug: org.slug });
    expect(listed.find((t) => t.id === created.id)).toMatchObject({ prefix: created.token.slice(0, 10) });
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect((await call(api.register, null, {})).status).toBe(401);
    expect((await call(api.register, "trw_nope", {})).json.error.code).toBe("unauthorized");
    expect(await workerPoolStatus(db)).toMatchObject({ online: 0, lastSeenAt: null });
    await registered(created.token);
    expect((await workerPoolStatus(db)).online).toBe(1);
    expect(await owner.workers.list({ orgSlug: org.slug })).toEqual([expect.objectContaining({ name: "gpu-box-1", online: true, busy: false, capabilities: cpu })]);
    await owner.workers.revokeToken({ orgSlug: org.slug, tokenId: created.id });
    expect((await call(api.register, created.token, { name: "x", version: "1", capabilities: cpu })).status).toBe(401);
    const member = await addMemberVia(db, org, "member");
    await expectTRPCError(callerFor(db, member.userId).workers.createToken({ orgSlug: org.slug, name: "mine" }), "FORBIDDEN");
  });

  it("a bad message is answered 400 naming the field", async () => {
    const token = await tokenFor(org);
    const { status, json } = await call(api.register, token, { name: "w", version: "1", capabilities: { ...cpu, device: "tpu" } });
    expect(status).toBe(400);
    expect(json.error.message).toMatch(/capabilities\.device/);
  });
});

describe("a fine-tune through the protocol", () => {
  it("launch → lease with signed URLs → heartbeat → upload → complete makes version 1", async () => {
    const owner = callerFor(db, org.owner.userId);
    const plan = await owner.finetune.plan({ orgSlug: org.slug, baseModel: "tiny-llama", datanetVersionIds: [versionId], taskTemplate: "chat" });
    expect(plan.estimate.summary).toMatch(/3 passes over your 10 training examples \(2 held out/);
    expect(plan.available).toBe(false);
    const launched = await owner.finetune.launch({ orgSlug: org.slug, baseModel: "tiny-llama", datanetVersionIds: [versionId], taskTemplate: "chat", modelName: "Remedy helper", hyperparameters: { epochs: 1 } });
    expect(launched.modelSlug).toBe("remedy-helper");
    expect(await owner.finetune.run({ orgSlug: org.slug, runId: launched.id })).toMatchObject({ status: "queued", hyperparameters: { epochs: 1, loraRank: 16 } });

    const token = await tokenFor(org);
    const workerId = await registered(token);
    const leased = await call(api.lease, token, { workerId, waitSeconds: 0 });
    const job = leased.json.job;
    expect(job).toMatchObject({ kind: "finetune", attempt: 1, payload: { baseModel: "tiny-llama", taskTemplate: "chat", resume: null } });
    expect(job.payload.datasets[0]).toMatchObject({ versionId, records: 12 });
    expect(job.payload.datasets[0].url).toMatch(/\/api\/blobs\/.*sig=/);

    const beat = await call(api.heartbeat, token, { leaseId: job.leaseId, progress, metrics: [{ step: 3, name: "train_loss", value: 1.5 }], checkpoint: null }, job.id);
    expect(beat.json.cancel).toBe(false);
    expect((await call(api.events, token, { leaseId: job.leaseId, events: [{ level: "warn", message: "2 examples were truncated to 1024 tokens." }] }, job.id)).status).toBe(200);
    const outside = await call(api.heartbeat, token, { leaseId: job.leaseId, progress, metrics: [], checkpoint: { key: "datanets/other/file", step: 3 } }, job.id);
    expect(outside.status).toBe(400);
    expect((await call(api.heartbeat, token, { leaseId: crypto.randomUUID(), progress, metrics: [], checkpoint: null }, job.id)).json.error.code).toBe("lease_lost");

    const adapter: FinetuneResult["adapter"] = [];
    for (const [name, bytes] of [["adapter/adapter_config.json", '{"r":16}'], ["adapter/adapter_model.safetensors", "weights"]] as const) {
      const upload = await call(api.uploadUrl, token, { leaseId: job.leaseId, name, contentType: null }, job.id);
      expect(upload.json.key).toBe(`jobs/${job.id}/${name}`);
      await putSigned(upload.json.url, bytes);
      adapter.push({ name: name.split("/")[1]!, key: upload.json.key, sizeBytes: bytes.length });
    }
    const evalReport = { examples: 2, baseLoss: 3.2, tunedLoss: 1.1, basePerplexity: 24.5, tunedPerplexity: 3.0, samples: [] };
    const metrics = { trainLoss: 1.2, steps: 2, epochs: 1, trainExamples: 10, trainTokens: 400, trainSeconds: 3.5, truncatedExamples: 0 };
    const lying = await call(api.complete, token, { leaseId: job.leaseId, result: { kind: "finetune", adapter: adapter.map((a) => ({ ...a, sizeBytes: a.sizeBytes + 1 })), metrics, evalReport } }, job.id);
    expect(lying.json.error.message).toMatch(/bytes were uploaded/);
    const done = await call(api.complete, token, { leaseId: job.leaseId, result: { kind: "finetune", adapter, metrics, evalReport } }, job.id);
    expect(done.json).toEqual({ status: "succeeded" });
    expect((await call(api.complete, token, { leaseId: job.leaseId, result: { kind: "finetune", adapter, metrics, evalReport } }, job.id)).json).toEqual({ status: "succeeded" });

    const model = await owner.finetune.model({ orgSlug: org.slug, modelSlug: "remedy-helper" });
    expect(model.runs).toHaveLength(1);
    expect(model.runs[0]).toMatchObject({ versionNumber: 1, status: "succeeded", evalReport, metrics });
    expect(await owner.finetune.models({ orgSlug: org.slug })).toEqual([expect.objectContaining({ slug: "remedy-helper", versions: 1, runs: 1 })]);
    const { url } = await owner.finetune.adapterUrl({ orgSlug: org.slug, runId: launched.id, file: "adapter_model.safetensors" });
    expect(url).toContain(`jobs/${job.id}/adapter/adapter_model.safetensors`);
    expect(new URL(url).searchParams.get("name")).toBe("remedy-helper-v1-adapter_model.safetensors");
    const events = await owner.finetune.events({ orgSlug: org.slug, runId: launched.id });
    expect(events.map((e) => e.message)).toEqual(expect.arrayContaining(["Inputs validated; queued for a worker.", "2 examples were truncated to 1024 tokens.", "Succeeded."]));

    // The playground asks a worker for base and tuned answers to one prompt.
    const { jobId } = await owner.finetune.ask({ orgSlug: org.slug, modelSlug: "remedy-helper", versionNumber: 1, messages: [{ role: "user", content: "What helps with ailment 3?" }] });
    const generate = (await call(api.lease, token, { workerId, waitSeconds: 0 })).json.job;
    expect(generate).toMatchObject({ id: jobId, kind: "generate" });
    expect(generate.payload.variants.map((v: { name: string }) => v.name)).toEqual(["base", "tuned"]);
    expect(generate.payload.variants[1].adapter.files.map((f: { name: string }) => f.name).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
    const outputs = [
      { variant: "base", text: "I do not know.", promptTokens: 9, completionTokens: 4, seconds: 0.2 },
      { variant: "tuned", text: "Remedy number 3.", promptTokens: 9, completionTokens: 4, seconds: 0.2 },
    ];
    expect((await call(api.complete, token, { leaseId: generate.leaseId, result: { kind: "finetune", adapter, metrics, evalReport } }, jobId)).status).toBe(400);
    await call(api.complete, token, { leaseId: generate.leaseId, result: { kind: "generate", outputs } }, jobId);
    expect(await owner.finetune.answer({ orgSlug: org.slug, jobId })).toMatchObject({ status: "succeeded", outputs });
  });

  it("another org's worker never sees the job, and cancel reaches the worker's heartbeat", async () => {
    const owner = callerFor(db, org.owner.userId);
    const launched = await owner.finetune.launch({ orgSlug: org.slug, baseModel: "tiny-llama", datanetVersionIds: [versionId], taskTemplate: "chat", modelSlug: "remedy-helper" });
    const stranger = await createOrgWithOwner(db, "Strangers");
    const strangerToken = await tokenFor(stranger);
    expect((await call(api.lease, strangerToken, { workerId: await registered(strangerToken), waitSeconds: 0 })).json).toEqual({ job: null });
    await expectTRPCError(callerFor(db, stranger.owner.userId).finetune.run({ orgSlug: stranger.slug, runId: launched.id }), "NOT_FOUND");

    const token = await tokenFor(org);
    const job = (await call(api.lease, token, { workerId: await registered(token), waitSeconds: 0 })).json.job;
    await owner.finetune.cancel({ orgSlug: org.slug, runId: launched.id });
    expect((await call(api.heartbeat, token, { leaseId: job.leaseId, progress, metrics: [], checkpoint: null }, job.id)).json.cancel).toBe(true);
    await expectTRPCError(owner.finetune.cancel({ orgSlug: org.slug, runId: launched.id }), "BAD_REQUEST", /already cancelled/);
    await expectTRPCError(owner.finetune.adapterUrl({ orgSlug: org.slug, runId: launched.id, file: "adapter_config.json" }), "NOT_FOUND", /no adapter/);
    await owner.finetune.retry({ orgSlug: org.slug, runId: launched.id });
    expect(await owner.finetune.run({ orgSlug: org.slug, runId: launched.id })).toMatchObject({ status: "queued" });
  });

  it("a base model the platform hosts goes to a worker that downloads hosted models, as signed URLs", async () => {
    const modelId = "HuggingFaceTB/SmolLM2-135M-Instruct";
    const folder = mkdtempSync(path.join(tmpdir(), "hosted-model-"));
    const files = { "config.json": '{"model_type":"llama"}', "model.safetensors": "weights", "tokenizer.json": "{}" };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
    expect(await hostModel(testBlobs, modelId, folder)).toEqual(Object.keys(files));
    expect(await hostedModelIds(testBlobs)).toEqual([modelId]);

    const owner = callerFor(db, org.owner.userId);
    const gpu = { device: "cuda", gpuName: "H100", gpuMemoryGb: 80, models: [], kinds: ["finetune", "generate"] };
    const register = async (capabilities: object) => {
      const token = await tokenFor(org);
      const { json } = await call(api.register, token, { name: "gpu-box-2", version: "0.1.0", capabilities });
      return { token, workerId: json.workerId as string };
    };
    const plain = await register(gpu);
    const request = { orgSlug: org.slug, baseModel: modelId, datanetVersionIds: [versionId], taskTemplate: "chat" as const };
    expect((await owner.finetune.plan(request)).available).toBe(false);
    const launched = await owner.finetune.launch({ ...request, modelName: "Hosted remedies" });
    expect((await call(api.lease, plain.token, { workerId: plain.workerId, waitSeconds: 0 })).json).toEqual({ job: null });

    const downloader = await register({ ...gpu, hostedModels: true });
    expect((await owner.finetune.plan(request)).available).toBe(true);
    const job = (await call(api.lease, downloader.token, { workerId: downloader.workerId, waitSeconds: 0 })).json.job;
    expect(job).toMatchObject({ kind: "finetune", payload: { baseModel: modelId } });
    const leased = job.payload.baseModelFiles as { name: string; url: string; sizeBytes: number }[];
    expect(leased.map((f) => [f.name, f.sizeBytes])).toEqual(Object.entries(files).map(([name, text]) => [name, text.length]).sort());
    for (const file of leased) {
      const key = decodeURIComponent(new URL(file.url).pathname.replace(/^\/api\/blobs\//, ""));
      const response = await handleBlobRequest(new Request(file.url), { store: testBlobs, secret: "test-secret-for-signed-blob-urls", op: "get", key });
      expect(await response.text()).toBe(files[file.name as keyof typeof files]);
    }
    await owner.finetune.cancel({ orgSlug: org.slug, runId: launched.id });

    // A serving worker started with the hosted model asks for its files by name; an unknown model is a 404 saying how to host it.
    const served = await call(api.hostedModel, plain.token, { model: modelId });
    expect(served.status).toBe(200);
    expect(served.json.files.map((f: { name: string; sizeBytes: number }) => [f.name, f.sizeBytes])).toEqual(leased.map((f) => [f.name, f.sizeBytes]));
    expect(await call(api.hostedModel, plain.token, { model: "Qwen/Qwen2.5-0.5B-Instruct" })).toEqual({
      status: 404,
      json: { error: { code: "not_found", message: expect.stringMatching(/^Model Qwen\/Qwen2.5-0.5B-Instruct is not hosted on this server: host it with `npm run models:host -- Qwen\/Qwen2.5-0.5B-Instruct <folder>`/) } },
    });
    expect((await call(api.hostedModel, plain.token, { model: "../etc" })).status).toBe(404);
    expect((await call(api.hostedModel, null, { model: modelId })).status).toBe(401);

    // Hosting a new copy removes what the old one had and the new one lacks; a folder without a config is refused.
    rmSync(path.join(folder, "tokenizer.json"));
    await hostModel(testBlobs, modelId, folder);
    expect(await testBlobs.list(`base-models/${modelId}/`)).toEqual([`base-models/${modelId}/config.json`, `base-models/${modelId}/model.safetensors`]);
    rmSync(path.join(folder, "config.json"));
    await expect(hostModel(testBlobs, modelId, folder)).rejects.toThrow(/no config.json/);
    await testBlobs.deletePrefix("base-models/");
  });

  it("refuses launches it cannot run, saying why", async () => {
    const owner = callerFor(db, org.owner.userId);
    const base = { orgSlug: org.slug, datanetVersionIds: [versionId], taskTemplate: "chat" as const, modelName: "Other model" };
    await expectTRPCError(owner.finetune.launch({ ...base, baseModel: "gpt-5" }), "BAD_REQUEST", /Unknown base model/);
    await expectTRPCError(owner.finetune.launch({ ...base, baseModel: "tiny-llama", hyperparameters: { maxLength: 4096 } }), "BAD_REQUEST", /reads at most 512 tokens/);
    await expectTRPCError(owner.finetune.launch({ ...base, baseModel: "tiny-llama", datanetVersionIds: [crypto.randomUUID()] }), "NOT_FOUND");
    await expectTRPCError(owner.finetune.launch({ ...base, baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct", modelSlug: "remedy-helper" }), "BAD_REQUEST", /same base model/);
  });
});
