// The whole serving path with real parts: the Python worker started with --serve (CPU,
// tiny-llama) trains a LoRA adapter through the job queue, the version is deployed (the gateway
// preloads the adapter on the worker), and the official `openai` npm client calls the /v1 API
// over HTTP: models, chat, completions, streaming, usage fields, errors, metered usage.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq, isNotNull, sql } from "drizzle-orm";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/server/db/connect";
import { deployments, fineTunes, jobs, models, organizations, workers } from "@/server/db/schema";
import { apiUsageDaily } from "@/server/db/schema/api-keys";
import { adapterFilesSchema } from "@/server/finetune/fine-tunes";
import { closeApiKeyCache } from "@/server/serving/api-key-cache";
import { createApiKey } from "@/server/serving/api-keys";
import { scheduleActivation } from "@/server/serving/deployments";
import { gatewayFor } from "@/server/serving/gateway";
import { ensureWorkerVenv, WORKER_DIR, workerEnv } from "../../scripts/worker-venv.mjs";
import { callerFor, testBlobs } from "../helpers/context";
import { startControlPlane } from "../helpers/control-plane-server";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { createOrgWithOwner, type TestOrg } from "../helpers/orgs";

const SECRET = "test-secret-for-signed-blob-urls";
let database: TestDatabase;
let db: Db;
let org: TestOrg;
let orgId: string;
let plane: Awaited<ReturnType<typeof startControlPlane>>;
let worker: ChildProcess | null = null;
let workDir = "";
let log = "";
let deploymentId = "";
let client: OpenAI;
let keyId = "";
let modelSlug = "";
const NAME = "capitals-tutor";

const capitals: [string, string][] = [["France", "Paris"], ["Italy", "Rome"], ["Spain", "Madrid"], ["Japan", "Tokyo"], ["Peru", "Lima"], ["Kenya", "Nairobi"], ["Cuba", "Havana"], ["Nepal", "Kathmandu"]];

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (worker?.exitCode != null) throw new Error(`the worker exited (${worker.exitCode}) while waiting for ${what}:\n${log.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${log.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  const python = await ensureWorkerVenv({ log: () => {} });
  database = await createTestDatabase();
  db = database.db;
  plane = await startControlPlane({ db, blobs: testBlobs, blobSecret: SECRET, policy: { leaseSeconds: 60, retryBaseSeconds: 0, retryMaxSeconds: 0 } });
  gatewayFor({ db, store: plane.store }, { firstTokenTimeoutMs: 120_000, cacheTtlMs: 0 });
  org = await createOrgWithOwner(db, "Real Servers");
  orgId = (await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug)))[0]!.id;
  const owner = callerFor(db, org.owner.userId, { blobs: plane.store });
  const { token } = await owner.workers.createToken({ orgSlug: org.slug, name: "real-serve" });

  workDir = mkdtempSync(path.join(tmpdir(), "tributary-serve-test-"));
  worker = spawn(
    python,
    ["-m", "tributary_worker", "--url", plane.url, "--name", "real-serve", "--device", "cpu", "--work-dir", path.join(workDir, "work"), "--serve", "--serve-port", "0", "--serve-model", "tiny-llama"],
    { cwd: WORKER_DIR, env: workerEnv({ ...process.env, TRIBUTARY_WORKER_TOKEN: token, TRIBUTARY_CACHE_DIR: workDir, HF_HUB_OFFLINE: "1" }), stdio: ["ignore", "pipe", "pipe"] },
  );
  for (const stream of [worker.stdout!, worker.stderr!]) stream.on("data", (chunk: Buffer) => (log += chunk.toString()));
  await until("the worker to register as a serving worker", async () => (await db.select({ id: workers.id }).from(workers).where(isNotNull(sql`${workers.capabilities} -> 'serving'`))).length > 0, 120_000);

  // A real adapter: the same worker trains it through the job queue.
  const { version } = await publishedDatanet(db, org, "Capitals", capitals.map(([c, city]) => chatRecord(`What is the capital of ${c}?`, `The capital of ${c} is ${city}.`)));
  const run = await owner.finetune.launch({
    orgSlug: org.slug,
    baseModel: "tiny-llama",
    datanetVersionIds: [version.id],
    taskTemplate: "chat",
    modelName: "Capitals tutor",
    hyperparameters: { epochs: 2, batchSize: 4, maxLength: 48, evalFraction: 0.25 },
  });
  await until("the fine-tune to succeed", async () => {
    const r = await owner.finetune.run({ orgSlug: org.slug, runId: run.id });
    if (r.status === "failed" || r.status === "cancelled") throw new Error(`the fine-tune ${r.status}: ${r.error}\n${log.slice(-4000)}`);
    return r.status === "succeeded";
  }, 240_000);

  modelSlug = run.modelSlug;
  const deployed = await owner.deployments.deploy({ orgSlug: org.slug, modelSlug, versionNumber: 1, name: NAME });
  deploymentId = deployed.id;
  const status = await scheduleActivation(db, gatewayFor({ db, store: plane.store }), deployed.id);
  const row = await owner.deployments.get({ orgSlug: org.slug, name: NAME });
  expect(status, `${row.statusMessage}\n${log.slice(-3000)}`).toBe("ready");
  const key = await createApiKey(db, { orgId, name: "sdk", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
  keyId = key.id;
  client = new OpenAI({ apiKey: key.secret, baseURL: `${plane.url}/v1`, maxRetries: 0 });
}, 900_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill("SIGTERM");
    await Promise.race([once(worker, "exit"), new Promise((r) => setTimeout(r, 15_000))]);
    if (worker.exitCode === null) worker.kill("SIGKILL");
  }
  await plane?.close();
  if (db) await closeApiKeyCache(db);
  await database?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("the official openai client against /v1, served by the real worker", () => {
  const question = [{ role: "user" as const, content: "What is the capital of Peru?" }];

  it("lists the deployment as a model", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([NAME]);
    expect((await client.models.retrieve(NAME)).id).toBe(NAME);
  });

  it("chat: an answer with the deployment as model and exact usage; streaming gives the same greedy text", async () => {
    const answer = await client.chat.completions.create({ model: NAME, messages: question, max_tokens: 12, temperature: 0 });
    expect(answer.object).toBe("chat.completion");
    expect(answer.model).toBe(NAME);
    const text = answer.choices[0]!.message.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(answer.usage!.prompt_tokens).toBeGreaterThan(5);
    expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    expect(answer.usage!.completion_tokens).toBeLessThanOrEqual(12);
    expect(answer.usage!.total_tokens).toBe(answer.usage!.prompt_tokens + answer.usage!.completion_tokens);

    const stream = await client.chat.completions.create({ model: NAME, messages: question, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let streamed = "";
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.model).toBe(NAME);
      streamed += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(streamed).toBe(text);
    expect(usage).toMatchObject({ prompt_tokens: answer.usage!.prompt_tokens, completion_tokens: answer.usage!.completion_tokens });
  });

  it("streams without usage chunks unless asked", async () => {
    const stream = await client.chat.completions.create({ model: NAME, messages: question, max_tokens: 4, stream: true });
    for await (const chunk of stream) expect(chunk.usage ?? null).toBeNull();
  });

  it("text completions, streamed and not", async () => {
    const done = await client.completions.create({ model: NAME, prompt: "The capital of Japan is", max_tokens: 6, temperature: 0 });
    expect(done.object).toBe("text_completion");
    expect(done.model).toBe(NAME);
    expect(done.usage!.completion_tokens).toBeGreaterThan(0);
    let streamed = "";
    for await (const chunk of await client.completions.create({ model: NAME, prompt: "The capital of Japan is", max_tokens: 6, temperature: 0, stream: true })) streamed += chunk.choices[0]?.text ?? "";
    expect(streamed).toBe(done.choices[0]!.text);
  });

  it("errors arrive as the client's typed errors with OpenAI's fields", async () => {
    const notFound = await client.chat.completions.create({ model: "nope", messages: question }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    const bad = await client.chat.completions.create({ model: NAME, messages: question, temperature: 5 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ status: 400, param: "temperature" });
    const wrongKey = await new OpenAI({ apiKey: "trb_wrong", baseURL: `${plane.url}/v1`, maxRetries: 0 }).models.list().catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(OpenAI.AuthenticationError);
    // The worker's own 400 (a prompt beyond tiny-llama's context) passes through, naming the limit.
    const long = await client.completions.create({ model: NAME, prompt: "word ".repeat(5000), max_tokens: 4 }).catch((e: unknown) => e);
    expect(long).toBeInstanceOf(OpenAI.BadRequestError);
    expect(long).toMatchObject({ status: 400, code: "context_length_exceeded", param: "prompt" });
    expect((long as Error).message).toMatch(/prompt: the prompt is \d+ tokens; this model's context is 2048 tokens/);
  });

  it("meters what the calls used, per key and deployment", async () => {
    await plane.v1.flushUsage();
    const [row] = await db.select().from(apiUsageDaily).where(and(eq(apiUsageDaily.keyId, keyId), eq(apiUsageDaily.deploymentId, deploymentId)));
    // Six calls reached the deployment: a chat, two chat streams, a completion, a completion stream,
    // and the over-long prompt the worker refused; refusals before it (404, 400, 401) are not its usage.
    expect(row).toMatchObject({ requests: 6, errors: 1 });
    expect(row!.completionTokens).toBeGreaterThan(0);
    expect(row!.promptTokens).toBeGreaterThan(row!.requests);
  });

  it("the playground answers base and tuned through the gateway, for the deployment and by version", async () => {
    const owner = callerFor(db, org.owner.userId, { blobs: plane.store });
    const { model, outputs } = await owner.deployments.ask({ orgSlug: org.slug, modelSlug, versionNumber: 1, deploymentId, messages: question, maxTokens: 8, temperature: 0 });
    expect(model).toBe(NAME);
    expect(outputs.map((o) => o.variant)).toEqual(["base", "tuned"]);
    for (const o of outputs) expect(o.completionTokens).toBeGreaterThan(0);
    // Without the deployment (an undeployed version): the same adapter, by version, same greedy answer.
    const byVersion = await owner.deployments.ask({ orgSlug: org.slug, modelSlug, versionNumber: 1, messages: question, maxTokens: 8, temperature: 0 });
    expect(byVersion.model).toBe(`${modelSlug}-v1`);
    expect(byVersion.outputs.map((o) => o.text)).toEqual(outputs.map((o) => o.text));
  });

  it("a version whose adapter names another base model: the deployment fails with the worker's reason, naming both", async () => {
    const owner = callerFor(db, org.owner.userId, { blobs: plane.store });
    const [trained] = await db.select({ adapter: fineTunes.adapter }).from(fineTunes).innerJoin(deployments, eq(deployments.fineTuneId, fineTunes.id)).where(eq(deployments.id, deploymentId));
    const files = adapterFilesSchema.parse(trained!.adapter);
    const configFile = files.find((f) => f.name === "adapter_config.json")!;
    const chunks: Buffer[] = [];
    for await (const chunk of await plane.store.get(configFile.key)) chunks.push(chunk as Buffer);
    const config = { ...(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>), base_model_name_or_path: "Qwen/Qwen2.5-0.5B-Instruct" };
    const [model] = await db.insert(models).values({ orgId, slug: "other-base", name: "Other base", baseModel: "tiny-llama" }).returning();
    const [job] = await db.insert(jobs).values({ orgId, kind: "finetune", status: "succeeded", payload: {}, requirements: {} }).returning();
    const key = `jobs/${job!.id}/adapter/adapter_config.json`;
    const { sizeBytes } = await plane.store.put(key, JSON.stringify(config));
    await db.insert(fineTunes).values({
      orgId, modelId: model!.id, jobId: job!.id, versionNumber: 1, taskTemplate: "chat", hyperparameters: {}, exampleCount: 2, tokenCount: 10, estimate: {},
      adapter: files.map((f) => (f === configFile ? { name: f.name, key, sizeBytes } : f)),
    });
    const { id } = await owner.deployments.deploy({ orgSlug: org.slug, modelSlug: "other-base", versionNumber: 1 });
    expect(await scheduleActivation(db, gatewayFor({ db, store: plane.store }), id)).toBe("failed");
    const row = await owner.deployments.get({ orgSlug: org.slug, name: "other-base-v1" });
    expect(row.statusMessage).toMatch(
      /^The adapter does not load on tiny-llama: the engine refused the adapter: adapter_config\.json: the adapter was trained on base model 'Qwen\/Qwen2\.5-0\.5B-Instruct'; this worker serves tiny-llama \(models\/tiny-llama-v\d+-[^)]+\): deploy a version trained on tiny-llama$/,
    );
  });
});
