// The public OpenAI-compatible API (/v1/models, /v1/chat/completions, /v1/completions): API key,
// deployment by name and the key's scope, rate limits, then the gateway; usage is metered per
// key and deployment in batched writes. Every error is an OpenAI error object. Keys, deployments
// and worker lists come from per-process caches and limits from leased slices, so a request's own
// path has no database round trip; the batch writes usage, "last used", the limits' give-backs,
// and the answered calls queued for attribution (with their output and the deployment's fee split).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setImmediate } from "node:timers/promises";
import { answeredInferenceRow, recordAnsweredInferences } from "@/server/attribution/requests";
import type { Db } from "@/server/db/connect";
import type { BlobStore } from "@/server/storage/types";
import { apiKeyCacheFor } from "./api-key-cache";
import { keyCanUse, touchApiKeys, type ApiKeyPrincipal } from "./api-keys";
import { findDeploymentForGateway, listCallableDeployments, type GatewayDeployment } from "./deployments";
import { gatewayFor, type Gateway, type GatewayOptions } from "./gateway";
import { chatRequestSchema, completionRequestSchema, estimateTokens, OpenAIError, parseRequest, type Endpoint } from "./openai";
import { readBody, sendEvents, sendJson } from "./node-http";
import { RateLimiter } from "./rate-limit";
import { RefreshingCache } from "./refreshing-cache";
import { Cancel } from "./worker-client";
import { recordUsageRows, UsageTally, type UsageEvent } from "./usage";

export interface V1ApiDeps {
  db: Db;
  store: BlobStore;
}

/** Deployment lookups kept per process at most. */
const MAX_CACHED_DEPLOYMENTS = 10_000;

/** Usage events (and "last used" times, limits' give-backs, answered calls) wait this long at most before one batched write. */
const USAGE_FLUSH_MS = 250;

/**
 * Answered calls queued for attribution per insert, and the size of their rows (JSON characters)
 * at which an insert is cut sooner: a batch of long outputs stays a statement of a few MB. One
 * insert of 250 short rows costs the thread ~0.4 ms on Postgres and ~3-5 ms on PGlite, whose
 * statements run on this thread (the batch yields to requests between inserts).
 */
const ATTRIBUTION_ROWS_PER_INSERT = 500;
const ATTRIBUTION_CHARS_PER_INSERT = 4 << 20;

const notFound = (model: string) =>
  new OpenAIError(404, `The model '${model}' does not exist or you do not have access to it. GET /v1/models lists the deployments this key can call.`, "invalid_request_error", "model_not_found", "model");

/** Largest request body; the worker refuses bodies over 8 MiB too. */
const MAX_BODY_BYTES = 8 << 20;

const tooLarge = () => new OpenAIError(413, `The request body is larger than ${MAX_BODY_BYTES >> 20} MiB.`, "invalid_request_error", "request_too_large");

/** The body as JSON, read up to MAX_BODY_BYTES (413 beyond, 400 when it is not JSON). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_BODY_BYTES, tooLarge);
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new OpenAIError(400, "We could not parse the JSON body of your request. Send a JSON object with Content-Type: application/json.", "invalid_request_error", "invalid_json");
  }
}

/** The /v1 endpoints by path, and the method each takes. */
const endpoints: Record<string, { method: string; endpoint: Endpoint | "models" }> = {
  "/v1/chat/completions": { method: "POST", endpoint: "chat" },
  "/v1/completions": { method: "POST", endpoint: "completions" },
  "/v1/models": { method: "GET", endpoint: "models" },
};

/** Answered calls' rows cut into inserts of at most ATTRIBUTION_ROWS_PER_INSERT rows and about ATTRIBUTION_CHARS_PER_INSERT characters. */
function* insertBatches(rows: string[]): Generator<string[]> {
  let start = 0;
  let chars = 0;
  for (let i = 0; i < rows.length; i++) {
    chars += rows[i]!.length;
    if (i + 1 - start === ATTRIBUTION_ROWS_PER_INSERT || chars >= ATTRIBUTION_CHARS_PER_INSERT || i + 1 === rows.length) {
      yield rows.slice(start, i + 1);
      start = i + 1;
      chars = 0;
    }
  }
}

export function createV1Api(deps: () => V1ApiDeps, gatewayOptions: Partial<GatewayOptions> = {}) {
  // Callers choose the names (unknown ones too): the cache is capped.
  const deploymentCache = new RefreshingCache<GatewayDeployment | null>(() => gateway().options.cacheTtlMs, MAX_CACHED_DEPLOYMENTS);
  const usage = new UsageTally();
  let answered: string[] = [];
  const touched = new Set<string>();
  let flushing: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let rateLimiter: RateLimiter | null = null;

  const gateway = (): Gateway => gatewayFor(deps(), gatewayOptions);
  const limiter = () => (rateLimiter ??= new RateLimiter(deps().db));

  const schedule = () => (timer ??= setTimeout(() => void flushUsage(), USAGE_FLUSH_MS));

  async function flushUsage(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    await flushing;
    const batch = usage.take();
    const inferences = answered;
    const touches = [...touched];
    answered = [];
    touched.clear();
    const { db } = deps();
    flushing = (async () => {
      await recordUsageRows(db, batch).catch((error: unknown) => console.error(`usage: ${batch.length} rows (keys, deployments and days) not recorded`, error));
      for (const part of insertBatches(inferences)) {
        await recordAnsweredInferences(db, part).catch((error: unknown) => console.error(`attribution: ${part.length} answered calls not queued`, error));
        await setImmediate();
      }
      await touchApiKeys(db, touches).catch((error: unknown) => console.error(`api keys: last used of ${touches.length} keys not written`, error));
      const holding = await rateLimiter?.sync().catch((error: unknown) => {
        console.error("rate limits: unused allowance not given back (retried at the next batch)", error);
        return true;
      });
      // A busy key's slice goes back at a sync after it went quiet.
      if (holding) schedule();
    })().finally(() => (flushing = null));
    await flushing;
  }

  function record(event: UsageEvent, inference: string | null) {
    usage.add(event);
    if (inference) answered.push(inference);
    schedule();
  }

  /** The deployment by name in the key's org, cached like the gateway's worker lists. */
  const deployment = (orgId: string, name: string) => deploymentCache.get(`${orgId}\0${name}`, () => findDeploymentForGateway(deps().db, orgId, name));

  async function authenticate(req: IncomingMessage): Promise<ApiKeyPrincipal> {
    const { result, touch } = await apiKeyCacheFor(deps().db).authenticate(req.headers.authorization ?? null);
    if (!result.ok) throw new OpenAIError(401, result.message, "invalid_request_error", "invalid_api_key");
    if (touch) {
      touched.add(result.key.keyId);
      schedule();
    }
    return result.key;
  }

  async function callable(key: ApiKeyPrincipal, name: string) {
    const found = await deployment(key.orgId, name);
    if (!found || found.status === "stopped") throw notFound(name);
    if (!keyCanUse(key, { id: found.id, orgId: key.orgId })) {
      throw new OpenAIError(403, `This API key may not call '${name}'. Use a key scoped to this deployment, or add it to this key's deployments on the API keys page.`, "permission_error", "model_not_permitted", "model");
    }
    if (found.status === "failed") throw new OpenAIError(503, `The deployment '${name}' failed: ${found.statusMessage ?? "see the Deployments page"}`, "server_error", "deployment_failed", null, { "retry-after": "30" });
    if (found.status !== "ready") throw new OpenAIError(503, `The deployment '${name}' is still loading its adapter; retry in a few seconds.`, "server_error", "model_loading", null, { "retry-after": "5" });
    return found;
  }

  async function completion(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse) {
    const key = await authenticate(req);
    const json = await readJson(req);
    const request = endpoint === "chat" ? parseRequest(chatRequestSchema, json) : parseRequest(completionRequestSchema, json);
    const found = await callable(key, request.model);
    const admitted = await limiter().admit(key, { tokens: estimateTokens(endpoint, request) });
    if (!admitted.ok) {
      throw new OpenAIError(429, admitted.message, admitted.limit, "rate_limit_exceeded", null, { "retry-after": String(admitted.retryAfterSeconds) });
    }
    const target = { orgId: key.orgId, baseModel: found.baseModel, adapterId: found.fineTuneId, adapterFiles: found.adapterFiles, model: found.name };
    // A client that leaves before its answer is complete: the gateway stops waiting for the worker.
    const client = new Cancel();
    res.once("close", () => {
      if (!res.writableFinished) client.cancel(new Error("the client went away"));
    });
    const answer = await gateway().complete(target, endpoint, request, {
      client,
      onSettled: (outcome) => {
        limiter().settle(admitted.reservation, outcome.promptTokens + outcome.completionTokens);
        const { promptTokens, completionTokens } = outcome;
        // Only answered calls earn their contributors anything; failed and abandoned ones are metered as errors.
        const inference = outcome.ok
          ? answeredInferenceRow({ inferenceId: outcome.completionId ?? randomUUID(), orgId: key.orgId, fineTuneId: found.fineTuneId, deploymentId: found.id, keyId: key.keyId, output: outcome.output, promptTokens, completionTokens, feeSplit: found.feeSplit, inferredAt: new Date() })
          : null;
        record({ keyId: key.keyId, deploymentId: found.id, promptTokens, completionTokens, ok: outcome.ok }, inference);
      },
    });
    if (answer.stream) await sendEvents(res, answer.events);
    else sendJson(res, 200, answer.body);
  }

  const modelObject = (d: { name: string; createdAt: Date }) => ({ id: d.name, object: "model" as const, created: Math.floor(d.createdAt.getTime() / 1000), owned_by: "tributary" });

  async function models(req: IncomingMessage, res: ServerResponse, name: string | null) {
    const key = await authenticate(req);
    const rows = await listCallableDeployments(deps().db, key.orgId, key.deploymentIds);
    if (name === null) return sendJson(res, 200, JSON.stringify({ object: "list", data: rows.map(modelObject) }));
    const row = rows.find((r) => r.name === name);
    if (!row) throw notFound(name);
    sendJson(res, 200, JSON.stringify(modelObject(row)));
  }

  function route(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const model = path.startsWith("/v1/models/") ? decodeURIComponent(path.slice("/v1/models/".length)) : null;
    const found = model === null ? endpoints[path] : { method: "GET", endpoint: "models" as const };
    if (!found) throw new OpenAIError(404, `Unknown request URL: ${req.method} ${path}. The API has POST /v1/chat/completions, POST /v1/completions, GET /v1/models and GET /v1/models/{model}.`, "invalid_request_error", "unknown_url");
    if (req.method !== found.method) {
      throw new OpenAIError(405, `Use ${found.method} for ${path}.`, "invalid_request_error", "method_not_allowed", null, { allow: found.method });
    }
    return found.endpoint === "models" ? models(req, res, model) : completion(found.endpoint, req, res);
  }

  return {
    /** Answers a request under /v1; every failure is answered as an OpenAI error object (500 for the unexpected). */
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      try {
        await route(req, res);
      } catch (error) {
        if (error instanceof OpenAIError) return error.send(res);
        if (error instanceof URIError) return new OpenAIError(400, `The model name in ${req.url} is not valid percent-encoding.`, "invalid_request_error", "invalid_url").send(res);
        console.error("v1 api error", error);
        new OpenAIError(500, "The server failed to handle this request; retry later.", "server_error").send(res);
      }
    },
    /** Writes buffered usage, "last used" times, unused limits and answered calls now (tests, and shutdown). */
    flushUsage,
  };
}
