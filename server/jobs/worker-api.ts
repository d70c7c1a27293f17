// The worker protocol's HTTP edge (/api/worker/v1/*): token auth, JSON in and out validated
// with the protocol's zod messages, and errors as { error: { code, message } }.
import { ZodError, type z } from "zod";
import type { ChainConfig } from "@/server/chain/config";
import type { Db } from "@/server/db/connect";
import { adapterSha256 } from "@/server/finetune/adapter-files";
import { checkFineTuneArtifacts, recordFineTuneResult } from "@/server/finetune/complete";
import type { BlobStore } from "@/server/storage/types";
import { hostedModelFiles, leaseCapabilities } from "./hosted-models";
import { jobBlobPrefix, toWirePayload, URL_SECONDS } from "./payloads";
import * as protocol from "./protocol";
import { addWorkerEvents, assertLease, completeJob, failJob, heartbeat, leaseNextJob, LeaseLostError, releaseJob, type QueuePolicy } from "./queue";
import { authenticateWorkerToken, registerWorker, touchWorker, type WorkerToken } from "./workers";

export interface WorkerApiDeps {
  db: Db;
  store: BlobStore;
  policy: QueuePolicy;
  /** Where a trained version's registration is committed; none: nothing is queued. */
  chain?: ChainConfig | null;
}

class ProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: (typeof protocol.errorCodes)[number],
    message: string,
  ) {
    super(message);
  }
}

const errorResponse = (status: number, code: (typeof protocol.errorCodes)[number], message: string) => Response.json({ error: { code, message } }, { status });

interface Call<B> extends WorkerApiDeps {
  token: WorkerToken;
  body: B;
  jobId: string;
}

type RouteContext = { params?: Promise<Record<string, string>> } | undefined;

/** A POST handler for one protocol message: authenticates, parses, answers JSON. */
function workerRoute<S extends z.ZodType, R extends z.ZodType>(request: S, response: R, handle: (call: Call<z.infer<S>>) => Promise<z.infer<R>>) {
  return (deps: () => WorkerApiDeps) => async (req: Request, context: RouteContext) => {
    const { db, store, policy, chain = null } = deps();
    const bearer = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    const token = bearer ? await authenticateWorkerToken(db, bearer) : null;
    if (!token) return errorResponse(401, "unauthorized", "Missing, unknown or revoked worker token. Create one on the Workers page and pass it with --token.");
    let json: unknown;
    try {
      json = await req.json();
    } catch {
      return errorResponse(400, "bad_request", "The body is not JSON.");
    }
    try {
      const body = request.parse(json);
      // Next passes no params to routes without dynamic segments (register, lease).
      const { jobId = "" } = (await context?.params) ?? {};
      return Response.json(response.parse(await handle({ db, store, policy, chain, token, body, jobId })));
    } catch (error) {
      if (error instanceof ZodError) return errorResponse(400, "bad_request", error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
      if (error instanceof LeaseLostError) return errorResponse(409, "lease_lost", error.message);
      if (error instanceof ProtocolError) return errorResponse(error.status, error.code, error.message);
      console.error("worker protocol error", error);
      return errorResponse(500, "internal", "The server failed to handle this call; retry later.");
    }
  };
}

async function worker(call: { db: Db; token: WorkerToken }, workerId: string) {
  const found = await touchWorker(call.db, call.token, workerId);
  if (!found) throw new ProtocolError(404, "not_found", "Unknown worker id for this token: register again.");
  return found;
}

const register = workerRoute(protocol.registerRequest, protocol.registerResponse, async ({ db, token, body, policy }) => {
  const { id } = await registerWorker(db, token, body);
  const { leaseSeconds } = policy;
  return { workerId: id, leaseSeconds, heartbeatSeconds: Math.max(2, Math.floor(leaseSeconds / 4)) };
});

const POLL_MS = 1000;

const lease = workerRoute(protocol.leaseRequest, protocol.leaseResponse, async (call) => {
  const leaser = await worker(call, call.body.workerId);
  const deadline = Date.now() + call.body.waitSeconds * 1000;
  for (;;) {
    const job = await leaseNextJob(call.db, { ...leaser, capabilities: await leaseCapabilities(leaser.capabilities, call.store) }, call.policy);
    if (job) {
      const payload = await toWirePayload(job, call.store, leaser.capabilities.models);
      return { job: { id: job.id, leaseId: job.leaseId!, kind: job.kind, attempt: job.attempts, payload } };
    }
    if (Date.now() + POLL_MS > deadline) return { job: null };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
});

const beat = workerRoute(protocol.heartbeatRequest, protocol.heartbeatResponse, async ({ db, body, jobId, policy }) => {
  if (body.checkpoint && !body.checkpoint.key.startsWith(jobBlobPrefix(jobId))) {
    throw new ProtocolError(400, "bad_request", `checkpoint.key must be a key from upload-url for this job (starting ${jobBlobPrefix(jobId)}).`);
  }
  const answer = await heartbeat(db, jobId, body.leaseId, body, policy);
  return { cancel: answer.cancel, leaseExpiresAt: answer.leaseExpiresAt.toISOString() };
});

const events = workerRoute(protocol.eventsRequest, protocol.okResponse, async ({ db, body, jobId }) => {
  await addWorkerEvents(db, jobId, body.leaseId, body.events);
  return { ok: true as const };
});

const uploadUrl = workerRoute(protocol.uploadUrlRequest, protocol.uploadUrlResponse, async ({ db, store, body, jobId }) => {
  await assertLease(db, jobId, body.leaseId);
  const key = `${jobBlobPrefix(jobId)}${body.name}`;
  return { key, url: await store.presignPut(key, { expiresInSeconds: 3600, contentType: body.contentType ?? undefined }) };
});

const complete = workerRoute(protocol.completeRequest, protocol.jobStateResponse, async ({ db, store, chain, body, jobId }) => {
  const result = body.result;
  let hash = "";
  if (result.kind === "finetune") {
    const problem = await checkFineTuneArtifacts(store, jobId, result);
    if (problem) throw new ProtocolError(400, "bad_request", problem);
    // Read before the transaction: hashing streams the adapter's files.
    hash = await adapterSha256(store, result.adapter);
  }
  return completeJob(db, jobId, body.leaseId, result, async (tx, job) => {
    // Thrown inside the transaction: the job stays running.
    if (job.kind !== result.kind) throw new ProtocolError(400, "bad_request", `result.kind is "${result.kind}" but this is a ${job.kind} job.`);
    if (result.kind === "finetune") await recordFineTuneResult(tx, job, result, { adapterSha256: hash, chain });
  });
});

const fail = workerRoute(protocol.failRequest, protocol.jobStateResponse, async ({ db, body, jobId, policy }) => failJob(db, jobId, body.leaseId, body, policy));

const release = workerRoute(protocol.releaseRequest, protocol.jobStateResponse, async ({ db, body, jobId }) => releaseJob(db, jobId, body.leaseId, body.reason));

const hostedModel = workerRoute(protocol.hostedModelRequest, protocol.hostedModelResponse, async ({ store, body }) => {
  const files = await hostedModelFiles(store, body.model, URL_SECONDS);
  if (!files) {
    throw new ProtocolError(404, "not_found", `Model ${body.model} is not hosted on this server: host it with \`npm run models:host -- ${body.model} <folder>\`, or give the worker the model itself (--model-dir or --models).`);
  }
  return { files };
});

/** The protocol's POST handlers, bound to a database, blob store and queue policy. */
export function createWorkerApi(deps: () => WorkerApiDeps) {
  return {
    register: register(deps),
    lease: lease(deps),
    heartbeat: beat(deps),
    events: events(deps),
    uploadUrl: uploadUrl(deps),
    complete: complete(deps),
    fail: fail(deps),
    release: release(deps),
    hostedModel: hostedModel(deps),
  };
}
