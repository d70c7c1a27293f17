// The public OpenAI-compatible API (/v1/models, /v1/chat/completions, /v1/completions): API key,
// deployment by name and the key's scope, rate limits, then the gateway; usage is metered per
// key and deployment in batched writes. Every error is an OpenAI error object. Keys, deployments
// and worker lists come from per-process caches and limits from leased slices, so a request's own
// path has no database round trip; the batch writes usage, "last used", the limits' give-backs,
// and the answered calls queued for attribution (with their output and the deployment's fee split).
import { randomUUID } from "node:crypto";
import { setImmediate } from "node:timers/promises";
import { answeredInferenceRow, recordAnsweredInferences } from "@/server/attribution/requests";
import type { Db } from "@/server/db/connect";
import type { BlobStore } from "@/server/storage/types";
import { apiKeyCacheFor } from "./api-key-cache";
import { keyCanUse, touchApiKeys, type ApiKeyPrincipal } from "./api-keys";
import { findDeploymentForGateway, listCallableDeployments, type GatewayDeployment } from "./deployments";
import { gatewayFor, type Gateway, type GatewayOptions } from "./gateway";
import { chatRequestSchema, completionRequestSchema, estimateTokens, OpenAIError, parseRequest, type Endpoint } from "./openai";
import { RateLimiter } from "./rate-limit";
import { RefreshingCache } from "./refreshing-cache";
import { recordUsageRows, UsageTally, type UsageEvent } from "./usage";

export interface V1ApiDeps {
  db: Db;
  store: BlobStore;
}

type RouteContext = { params: Promise<Record<string, string | string[]>> };

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

/** The body as JSON, read up to MAX_BODY_BYTES (413 beyond, 400 when it is not JSON). */
async function readJson(req: Request): Promise<unknown> {
  const tooLarge = () => new OpenAIError(413, `The request body is larger than ${MAX_BODY_BYTES >> 20} MiB.`, "invalid_request_error", "request_too_large");
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body?.getReader();
  for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
    size += part.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader!.cancel();
      throw tooLarge();
    }
    chunks.push(part.value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new OpenAIError(400, "We could not parse the JSON body of your request. Send a JSON object with Content-Type: application/json.", "invalid_request_error", "invalid_json");
  }
}

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

  async function authenticate(req: Request): Promise<ApiKeyPrincipal> {
    const { result, touch } = await apiKeyCacheFor(deps().db).authenticate(req.headers.get("authorization"));
    if (!result.ok) throw new OpenAIError(401, result.message, "invalid_request_error", "invalid_api_key");
    if (touch) {
      touched.add(result.key.keyId);
      schedule();
    }
    return result.key;
  }

  /** Runs a handler, answering any OpenAIError as its error object and anything else as a 500. */
  const handle =
    <C>(fn: (req: Request, ctx: C) => Promise<Response>) =>
    async (req: Request, ctx: C): Promise<Response> => {
      try {
        return await fn(req, ctx);
      } catch (error) {
        if (error instanceof OpenAIError) return error.toResponse();
        console.error("v1 api error", error);
        return new OpenAIError(500, "The server failed to handle this request; retry later.", "server_error").toResponse();
      }
    };

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

  const completion = (endpoint: Endpoint) =>
    handle(async (req: Request) => {
      const key = await authenticate(req);
      const json = await readJson(req);
      const request = endpoint === "chat" ? parseRequest(chatRequestSchema, json) : parseRequest(completionRequestSchema, json);
      const found = await callable(key, request.model);
      const admitted = await limiter().admit(key, { tokens: estimateTokens(endpoint, request) });
      if (!admitted.ok) {
        throw new OpenAIError(429, admitted.message, admitted.limit, "rate_limit_exceeded", null, { "retry-after": String(admitted.retryAfterSeconds) });
      }
      const target = { orgId: key.orgId, baseModel: found.baseModel, adapterId: found.fineTuneId, adapterFiles: found.adapterFiles, model: found.name };
      return gateway().complete(target, endpoint, request, {
        signal: req.signal,
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
    });

  const modelObject = (d: { name: string; createdAt: Date }) => ({ id: d.name, object: "model" as const, created: Math.floor(d.createdAt.getTime() / 1000), owned_by: "tributary" });

  return {
    models: handle(async (req: Request) => {
      const key = await authenticate(req);
      const rows = await listCallableDeployments(deps().db, key.orgId, key.deploymentIds);
      return Response.json({ object: "list", data: rows.map(modelObject) });
    }),
    model: handle(async (req: Request, ctx: RouteContext) => {
      const key = await authenticate(req);
      const name = String((await ctx.params).model ?? "");
      const rows = await listCallableDeployments(deps().db, key.orgId, key.deploymentIds);
      const row = rows.find((r) => r.name === name);
      if (!row) throw notFound(name);
      return Response.json(modelObject(row));
    }),
    chatCompletions: completion("chat"),
    completions: completion("completions"),
    /** Writes buffered usage, "last used" times, unused limits and answered calls now (tests, and shutdown). */
    flushUsage,
  };
}
