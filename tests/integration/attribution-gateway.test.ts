// The /v1 gateway queues every answered call for attribution, off the request path, on PGlite and
// on real Postgres: the output (the message, or the streamed deltas joined, cut at
// MAX_OUTPUT_CHARS), the completion's id, usage and the deployment's fee split as it was at the
// time; a failed call queues nothing. Workers are stand-ins (tests/helpers/fake-serving-worker.ts).
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attributeQueuedInferences } from "@/server/attribution/requests";
import type { Db } from "@/server/db/connect";
import { attributionRequests, inferenceAttributions, organizations } from "@/server/db/schema";
import { env } from "@/server/env";
import { closeApiKeyCache } from "@/server/serving/api-key-cache";
import { createApiKey } from "@/server/serving/api-keys";
import { scheduleActivation } from "@/server/serving/deployments";
import { gatewayFor, MAX_OUTPUT_CHARS, type Gateway } from "@/server/serving/gateway";
import { SseParser } from "@/server/serving/sse";
import { createV1Api } from "@/server/serving/v1-api";
import { buildNextIndex } from "@/server/attribution/build";
import { callerFor, testBlobs } from "../helpers/context";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import type { FakeServingWorker } from "../helpers/fake-serving-worker";
import { createOrgWithOwner, type TestOrg } from "../helpers/orgs";
import { registeredServingWorker, trainedVersionWithAdapter } from "../helpers/serving";
import { serveV1, v1Headers } from "../helpers/v1-server";

let database: TestDatabase;
let db: Db;
let org: TestOrg;
let orgId: string;
let gateway: Gateway;
let worker: FakeServingWorker;
let keySecret: string;
let deployment: { id: string; name: string; fineTuneId: string };
const api = createV1Api(() => ({ db, store: testBlobs }));
let v1: Awaited<ReturnType<typeof serveV1>>;

const PASSAGE = "The lighthouse keeper on Skerrow logs every gannet that lands on the rail before dawn.";

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  gateway = gatewayFor({ db, store: testBlobs }, { firstTokenTimeoutMs: 3000, idleTimeoutMs: 3000, cacheTtlMs: 0, penaltyMs: 0 });
  org = await createOrgWithOwner(db, "Keepers");
  orgId = (await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug)))[0]!.id;
  worker = await registeredServingWorker(db, "keeper-worker", "base-keep");
  const { version } = await publishedDatanet(db, org, "Skerrow Logs", [chatRecord("What does the keeper log?", PASSAGE)]);
  const trained = await trainedVersionWithAdapter(db, orgId, "keeper", "base-keep", [version.id]);
  const owner = callerFor(db, org.owner.userId);
  const { id, name } = await owner.deployments.deploy({ orgSlug: org.slug, modelSlug: trained.modelSlug, versionNumber: 1, feeSplit: { platformBps: 1000, ownerBps: 2500, contributorsBps: 6500 } });
  expect(await scheduleActivation(db, gateway, id)).toBe("ready");
  deployment = { id, name, fineTuneId: trained.fineTuneId };
  v1 = await serveV1(api);
  keySecret = (await createApiKey(db, { orgId, name: "app", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null })).secret;
});
afterAll(async () => {
  await v1?.close();
  await worker?.stop();
  await closeApiKeyCache(db);
  await database?.close();
});

function chat(body: Record<string, unknown>) {
  return v1.call("/v1/chat/completions", {
    method: "POST",
    headers: v1Headers(keySecret),
    body: JSON.stringify({ model: deployment.name, messages: [{ role: "user", content: "What does the keeper log?" }], max_tokens: 32, ...body }),
  });
}

async function readStream(response: Response) {
  const parser = new SseParser();
  const events: string[] = [];
  const reader = response.body!.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) events.push(...parser.push(part.value));
  return events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e) as { id?: string; error?: unknown });
}

const queued = () => db.select().from(attributionRequests).orderBy(attributionRequests.createdAt);

describe("answered /v1 calls", () => {
  it("are queued after the answer with its output, id, usage and the deployment's split, and nothing waits on the database meanwhile", async () => {
    worker.answer = ["Sure. ", PASSAGE];
    const response = await chat({});
    expect(response.status).toBe(200);
    const body = (await response.json()) as { id: string; choices: { message: { content: string } }[] };
    // Not written yet: the insert is part of the next batch.
    expect(await queued()).toEqual([]);
    await api.flushUsage();
    expect(await queued()).toEqual([
      expect.objectContaining({
        inferenceId: body.id,
        orgId,
        fineTuneId: deployment.fineTuneId,
        deploymentId: deployment.id,
        output: `Sure. ${PASSAGE}`,
        promptTokens: 5,
        completionTokens: 2,
        platformBps: 1000,
        ownerBps: 2500,
        contributorsBps: 6500,
        status: "pending",
      }),
    ]);

    // Attributed off the request path: the contributors' part of the fee is divided, the owner's and platform's stored beside it.
    expect(await buildNextIndex(db, testBlobs)).toBe(deployment.fineTuneId);
    expect(await attributeQueuedInferences(db, testBlobs)).toBe(1);
    const fee = 7n * env.ATTRIBUTION_REWARD_PER_TOKEN;
    const [attributed] = await db.select().from(inferenceAttributions).where(eq(inferenceAttributions.inferenceId, body.id));
    expect(attributed).toMatchObject({ method: "spans", feeAmount: ((fee * 6500n) / 10_000n).toString(), ownerAmount: ((fee * 2500n) / 10_000n).toString(), platformAmount: ((fee * 1000n) / 10_000n).toString() });
  });

  it("streamed: the deltas joined, under the stream's id; a split changed later applies to later calls only", async () => {
    worker.answer = ["The lighthouse ", "keeper ", "on Skerrow."];
    const first = await readStream(await chat({ stream: true }));
    await callerFor(db, org.owner.userId).deployments.setFeeSplit({ orgSlug: org.slug, deploymentId: deployment.id, platformBps: 0, ownerBps: 0, contributorsBps: 10_000 });
    const second = await readStream(await chat({ stream: true, stream_options: { include_usage: true } }));
    await api.flushUsage();
    const rows = await db.select().from(attributionRequests).where(sql`${attributionRequests.inferenceId} in (${first[0]!.id}, ${second[0]!.id})`);
    const byId = new Map(rows.map((r) => [r.inferenceId, r]));
    expect(byId.get(first[0]!.id!)).toMatchObject({ output: "The lighthouse keeper on Skerrow.", completionTokens: 3, contributorsBps: 6500, ownerBps: 2500 });
    expect(byId.get(second[0]!.id!)).toMatchObject({ output: "The lighthouse keeper on Skerrow.", completionTokens: 3, contributorsBps: 10_000, ownerBps: 0, platformBps: 0 });
  });

  it("keeps at most MAX_OUTPUT_CHARS of an output", async () => {
    const piece = "x".repeat(50_000) + " ";
    worker.answer = [piece, piece, piece];
    const chunks = await readStream(await chat({ stream: true }));
    await api.flushUsage();
    const [row] = await db.select().from(attributionRequests).where(eq(attributionRequests.inferenceId, chunks[0]!.id!));
    expect(row!.output).toBe((piece + piece + piece).slice(0, MAX_OUTPUT_CHARS));
  });

  it("an output with a NUL or a lone surrogate is queued with U+FFFD in their place, in the same batch as other calls", async () => {
    worker.answer = ["before\u0000after \ud800 end"];
    const odd = (await (await chat({})).json()) as { id: string };
    worker.answer = ["Plain."];
    const plain = (await (await chat({})).json()) as { id: string };
    await api.flushUsage();
    const rows = await db.select().from(attributionRequests).where(sql`${attributionRequests.inferenceId} in (${odd.id}, ${plain.id})`);
    expect(new Map(rows.map((r) => [r.inferenceId, r.output]))).toEqual(new Map([[odd.id, "before\uFFFDafter \uFFFD end"], [plain.id, "Plain."]]));
    worker.answer = null;
  });

  it("a failed call queues nothing, streamed or not", async () => {
    const before = (await queued()).length;
    worker.behaviour = "error-500";
    expect((await chat({})).status).toBe(503);
    worker.behaviour = "die-mid-stream";
    const chunks = await readStream(await chat({ stream: true }));
    expect(chunks.at(-1)).toMatchObject({ error: { code: "worker_failed" } });
    worker.behaviour = "ok";
    await api.flushUsage();
    expect(await queued()).toHaveLength(before);
  });
});
