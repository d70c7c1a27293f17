// One test file's deployments-and-gateway setup (tests/integration/serving-*.test.ts): a test
// database with an org, the database's gateway with short timeouts and no caching, stand-in
// serving workers, deployed versions, an API key for every deployment, and calls to the /v1 API
// over HTTP, served as the app server serves it. Registers its own beforeAll/afterAll hooks; call it once at the top of a test file.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll } from "vitest";
import type { Db } from "@/server/db/connect";
import { deployments, organizations } from "@/server/db/schema";
import { closeApiKeyCache } from "@/server/serving/api-key-cache";
import { createApiKey } from "@/server/serving/api-keys";
import { scheduleActivation } from "@/server/serving/deployments";
import { gatewayFor, type Gateway } from "@/server/serving/gateway";
import { SseParser } from "@/server/serving/sse";
import { createV1Api } from "@/server/serving/v1-api";
import { callerFor, testBlobs } from "./context";
import { createTestDatabase, type TestDatabase } from "./db";
import type { FakeServingWorker } from "./fake-serving-worker";
import { createOrgWithOwner, type TestOrg } from "./orgs";
import { registeredServingWorker, trainedVersionWithAdapter } from "./serving";
import { serveV1, v1Headers } from "./v1-server";

/**
 * One event of a relayed stream: a completion chunk in OpenAI's shape, or the error event that
 * ends a stream failing after its first token (then only `error` is there, no `choices`).
 */
export interface Chunk {
  id?: string;
  model?: string;
  choices: { index?: number; text?: string; delta?: { role?: string; content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens?: number };
  error?: { message: string; type: string; param: string | null; code: string | null };
}

export const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content: "Hello?" }], max_tokens: 8, ...extra });

/** Reads an SSE response to its end: the parsed data events, and whether it ended with [DONE]. */
export async function readSse(response: Response) {
  const parser = new SseParser();
  const events: string[] = [];
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    events.push(...parser.push(value));
  }
  const done = events.at(-1) === "[DONE]";
  return { done, chunks: events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e) as Chunk) };
}

export function gatewayFixture() {
  let database: TestDatabase | undefined;
  let org: TestOrg | undefined;
  let orgId = "";
  let gateway: Gateway | undefined;
  let keySecret = "";
  let versionSeq = 0;
  const fakes: FakeServingWorker[] = [];
  const ready = <T>(value: T | undefined) => {
    if (value === undefined) throw new Error("the gateway fixture is used before its beforeAll ran");
    return value;
  };
  const db = () => ready(database).db;
  const api = createV1Api(() => ({ db: db(), store: testBlobs }));
  let v1: Awaited<ReturnType<typeof serveV1>> | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Made before anything else asks for this database's gateway, so these options hold.
    gateway = gatewayFor({ db: database.db, store: testBlobs }, { firstTokenTimeoutMs: 3000, idleTimeoutMs: 3000, cacheTtlMs: 0, penaltyMs: 0 });
    org = await createOrgWithOwner(database.db, "Servers");
    orgId = (await database.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug)))[0]!.id;
    v1 = await serveV1(api);
    keySecret = (await createApiKey(database.db, { orgId, name: "all", createdBy: null, deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null })).secret;
  });
  afterAll(async () => {
    // Written before the database closes, rather than by a timer after it.
    await v1?.close();
    if (database) await api.flushUsage();
    await Promise.all(fakes.map((f) => f.stop()));
    if (database) await closeApiKeyCache(database.db);
    await database?.close();
  });

  const fixture = {
    get database() {
      return ready(database);
    },
    get db(): Db {
      return db();
    },
    get org() {
      return ready(org);
    },
    get orgId() {
      return orgId;
    },
    get gateway() {
      return ready(gateway);
    },
    /** A key for every deployment of the org, without limits. */
    get keySecret() {
      return keySecret;
    },
    api,
    owner: () => callerFor(db(), fixture.org.owner.userId),

    /** A stand-in worker registered (platform token) as serving `baseModel`, online now; stopped after the file. */
    async servingWorker(name: string, baseModel: string, maxBatchSize = 8) {
      const fake = await registeredServingWorker(db(), name, baseModel, maxBatchSize);
      fakes.push(fake);
      return fake;
    },

    async setOffline(workerId: string) {
      await db().execute(sql`update workers set last_seen_at = now() - interval '10 minutes' where id = ${workerId}`);
    },

    /** A model with a succeeded version 1 whose adapter files are in blob storage. */
    trainedVersion: (baseModel: string) => trainedVersionWithAdapter(db(), orgId, `served-${++versionSeq}`, baseModel),

    /** A version of `baseModel` deployed (as `name`, or its default name) and activated: ready, or failed with the reason. */
    async deployed(baseModel: string, name?: string) {
      const version = await fixture.trainedVersion(baseModel);
      const { id } = await fixture.owner().deployments.deploy({ orgSlug: fixture.org.slug, modelSlug: version.modelSlug, versionNumber: 1, name });
      const status = await scheduleActivation(db(), fixture.gateway, id);
      const [row] = await db().select().from(deployments).where(eq(deployments.id, id));
      return { ...version, id, status, row: row! };
    },

    /** POST to the /v1 API's chat or completions, with `key` (default: the fixture's) and `body` as JSON, or `raw` as it is; `signal` aborts the call. */
    post(path: "chat" | "completions", body: unknown, key: string | null = keySecret, raw?: string, signal?: AbortSignal) {
      return ready(v1).call(`/v1/${path === "chat" ? "chat/completions" : "completions"}`, { method: "POST", headers: v1Headers(key), body: raw ?? JSON.stringify(body), signal });
    },

    /** GET a /v1 path (e.g. "/v1/models") with `key` (default: the fixture's). */
    get(path: string, key: string | null = keySecret) {
      return ready(v1).call(path, { headers: v1Headers(key) });
    },
  };
  return fixture;
}

export type GatewayFixture = ReturnType<typeof gatewayFixture>;
