// The inference gateway: sends an OpenAI request for a deployment to a serving worker chosen by
// adapter affinity and load (routing.ts), loads the adapter there just in time when the worker
// does not hold it, fails over to the next worker when one fails before the first token, and
// relays the worker's answer (JSON or SSE) with the deployment's name as `model`.
import type { Db } from "@/server/db/connect";
import type { BlobStore } from "@/server/storage/types";
import { endpointPath, OpenAIError, workerBody, type ChatRequest, type CompletionRequest, type Endpoint } from "./openai";
import { RefreshingCache } from "./refreshing-cache";
import { LoadTracker, onlineServingWorkers, routeOrder } from "./routing";
import { SSE_DONE, sseEvent, SseParser } from "./sse";
import { Cancel, callWorker, describeFetchError, readWorkerError, type OpenAIErrorBody, type ServingWorker, type WorkerResponse } from "./worker-client";

export interface GatewayDeps {
  db: Db;
  store: BlobStore;
}

export interface GatewayOptions {
  /** A worker that has not sent the first token (or, without streaming, the answer's headers) by then is given up on. */
  firstTokenTimeoutMs: number;
  /** Longest wait for a whole non-streamed answer, and between two streamed chunks. */
  idleTimeoutMs: number;
  /** Worker lists are read from the database at most this often per org and base model. */
  cacheTtlMs: number;
  /** A worker that failed is tried last for this long. */
  penaltyMs: number;
  /** Lifetime of the adapter file URLs sent with PUT /adapters/{id}. */
  adapterUrlSeconds: number;
}

export const defaultGatewayOptions: GatewayOptions = { firstTokenTimeoutMs: 60_000, idleTimeoutMs: 120_000, cacheTtlMs: 2_000, penaltyMs: 10_000, adapterUrlSeconds: 3600 };

/** What to run: a deployment's adapter (or the base model) on workers holding its base model. */
export interface Target {
  orgId: string;
  baseModel: string;
  /** The adapter id on the workers (the model version's fine-tune id); null asks the base model. */
  adapterId: string | null;
  /** Blob keys of the PEFT adapter files, sent as signed URLs when a worker must load it. */
  adapterFiles: readonly { name: string; key: string }[];
  /** What `model` reads in answers: the deployment's name. */
  model: string;
}

/** How a call ended, for usage metering and attribution: token counts come from the worker's `usage`. */
export interface Outcome {
  ok: boolean;
  workerId: string | null;
  promptTokens: number;
  completionTokens: number;
  /** The completion's id as the worker gave it; null when it gave none or never answered. */
  completionId: string | null;
  /** What was generated (each choice's text, joined by a blank line when n > 1), at most MAX_OUTPUT_CHARS of it. */
  output: string;
  /** Why it failed, when it did. */
  error?: string;
}

/** The output kept for attribution is cut here: a longer answer is attributed by its beginning (and still metered whole). */
export const MAX_OUTPUT_CHARS = 128 * 1024;

/** What the client is answered: the completion as JSON, or its SSE events to stream. */
export type Answer = { stream: false; body: string } | { stream: true; events: ReadableStream<Uint8Array> };

export type PreloadResult = { ok: true; tier: string; loadMs: number } | { ok: false; status: number | null; message: string };

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}
type Choice = { index?: number; text?: string; message?: { content?: string | null }; delta?: { content?: string | null }; finish_reason?: string | null };
type Chunk = { id?: string; choices?: Choice[]; usage?: Usage | null; model?: string; error?: OpenAIErrorBody };

/** Collects the generated text per choice, up to MAX_OUTPUT_CHARS in all: a few appends per chunk. */
class OutputCollector {
  id: string | null = null;
  private readonly parts = new Map<number, string[]>();
  private size = 0;

  add(chunk: Chunk) {
    if (chunk.id && !this.id) this.id = chunk.id;
    for (const choice of chunk.choices ?? []) {
      const text = choice.delta?.content ?? choice.message?.content ?? choice.text;
      if (!text || this.size >= MAX_OUTPUT_CHARS) continue;
      const kept = text.length <= MAX_OUTPUT_CHARS - this.size ? text : text.slice(0, MAX_OUTPUT_CHARS - this.size);
      this.size += kept.length;
      const index = choice.index ?? 0;
      const list = this.parts.get(index);
      if (list) list.push(kept);
      else this.parts.set(index, [kept]);
    }
  }

  text(): string {
    return [...this.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, list]) => list.join(""))
      .join("\n\n");
  }
}

const failed = (workerId: string | null, error: string): Outcome => ({ ok: false, workerId, promptTokens: 0, completionTokens: 0, completionId: null, output: "", error });

/** A failure on one worker that another worker may not have. */
class WorkerFailure extends Error {}

const hasToken = (chunk: Chunk) => Boolean(chunk.usage) || (chunk.choices ?? []).some((c) => Boolean(c.text) || Boolean(c.delta?.content) || Boolean(c.finish_reason));

export class Gateway {
  readonly loads = new LoadTracker();
  readonly options: GatewayOptions;
  private readonly workerCache = new RefreshingCache<ServingWorker[]>(() => this.options.cacheTtlMs);
  private readonly penalized = new Map<string, number>();

  constructor(
    private readonly deps: GatewayDeps,
    options: Partial<GatewayOptions> = {},
  ) {
    this.options = { ...defaultGatewayOptions, ...options };
  }

  /** Online serving workers for an org's base model, read at most cacheTtlMs ago. */
  workersFor(orgId: string, baseModel: string): Promise<ServingWorker[]> {
    return this.workerCache.get(`${orgId}\0${baseModel}`, () => onlineServingWorkers(this.deps.db, orgId, baseModel));
  }

  /** Affinity order, with workers that failed recently moved to the end. */
  order(key: string, workers: readonly ServingWorker[]): ServingWorker[] {
    const now = Date.now();
    const ordered = routeOrder(key, workers, this.loads);
    const healthy = ordered.filter((w) => (this.penalized.get(w.id) ?? 0) <= now);
    return [...healthy, ...ordered.filter((w) => !healthy.includes(w))];
  }

  private penalize(workerId: string) {
    this.penalized.set(workerId, Date.now() + this.options.penaltyMs);
  }

  /** PUT /adapters/{id} with freshly signed URLs of the adapter's files. */
  async preload(worker: ServingWorker, adapterId: string, files: Target["adapterFiles"], cancel?: Cancel): Promise<PreloadResult> {
    const { store } = this.deps;
    try {
      const signed = await Promise.all(files.map(async (f) => ({ name: f.name, url: await store.presignGet(f.key, { expiresInSeconds: this.options.adapterUrlSeconds }) })));
      const response = await callWorker(worker, "PUT", `/adapters/${encodeURIComponent(adapterId)}`, { files: signed }, cancel ?? Cancel.after(this.options.firstTokenTimeoutMs, `no answer within ${this.options.firstTokenTimeoutMs / 1000} s`));
      if (!response.ok) return { ok: false, status: response.status, message: (await readWorkerError(response)).message };
      const body = (await response.json()) as { tier?: string; loadMs?: number };
      return { ok: true, tier: String(body.tier ?? "gpu"), loadMs: Number(body.loadMs ?? 0) };
    } catch (error) {
      return { ok: false, status: null, message: describeFetchError(error) };
    }
  }

  /** DELETE /adapters/{id}; best effort (a worker that is gone has nothing to evict). */
  async evict(worker: ServingWorker, adapterId: string) {
    try {
      const response = await callWorker(worker, "DELETE", `/adapters/${encodeURIComponent(adapterId)}`, undefined, Cancel.after(10_000, "no answer within 10 s"));
      response.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  /**
   * Answers one request, trying workers in routing order until one produces the first token.
   * Rejects with an OpenAIError when no worker could (503) or the worker refused the request
   * itself (its 4xx, passed on). `onSettled` runs once with the usage when the answer ends.
   */
  async complete(target: Target, endpoint: Endpoint, request: ChatRequest | CompletionRequest, opts: { client?: Cancel; onSettled?: (outcome: Outcome) => void } = {}): Promise<Answer> {
    const settle = once(opts.onSettled);
    const workers = await this.workersFor(target.orgId, target.baseModel);
    if (workers.length === 0) {
      settle(failed(null, "no worker"));
      throw new OpenAIError(503, `No online worker serves base model ${target.baseModel}: start one with --serve.`, "server_error", "no_worker_available", null, { "retry-after": "10" });
    }
    const failures: string[] = [];
    for (const worker of this.order(target.adapterId ?? "base", workers)) {
      try {
        return await this.attempt(worker, target, endpoint, request, opts.client, settle);
      } catch (error) {
        if (!(error instanceof WorkerFailure)) {
          settle(failed(worker.id, error instanceof Error ? error.message : String(error)));
          throw error;
        }
        this.penalize(worker.id);
        failures.push(`${worker.name}: ${error.message}`);
        if (opts.client?.cancelled) break;
      }
    }
    settle(failed(null, failures.join("; ")));
    throw new OpenAIError(503, `Every worker serving ${target.baseModel} failed before answering (${failures.join("; ")}). Retry shortly.`, "server_error", "worker_unavailable", null, { "retry-after": "5" });
  }

  private async attempt(worker: ServingWorker, target: Target, endpoint: Endpoint, request: ChatRequest | CompletionRequest, client: Cancel | undefined, settle: (o: Outcome) => void): Promise<Answer> {
    const end = this.loads.begin(worker.id);
    const cancel = new Cancel();
    const offClient = client?.onCancel((reason) => cancel.cancel(reason)) ?? (() => {});
    let timer = setTimeout(() => cancel.cancel(new Error(`no first token within ${this.options.firstTokenTimeoutMs / 1000} s`)), this.options.firstTokenTimeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      offClient();
      end();
    };
    const body = workerBody(endpoint, request, target.adapterId ?? "base");
    const call = () => callWorker(worker, "POST", endpointPath[endpoint], body, cancel);
    try {
      let response = await call();
      if (response.status === 404 && target.adapterId) {
        const error = await readWorkerError(response);
        if (error.code !== "adapter_not_loaded") throw new WorkerFailure(`404 ${error.message}`);
        const loaded = await this.preload(worker, target.adapterId, target.adapterFiles, cancel);
        if (!loaded.ok && loaded.status === 422) throw new OpenAIError(422, `The adapter of ${target.model} cannot be loaded: ${loaded.message}`, "invalid_request_error", "adapter_invalid");
        if (!loaded.ok) throw new WorkerFailure(`loading the adapter failed: ${loaded.message}`);
        response = await call();
      }
      if (!response.ok) {
        const error = await readWorkerError(response);
        // 5xx, a refused signature or an adapter it still lacks are this worker's problem; other 4xx are the request's.
        if (response.status >= 500 || response.status === 401 || response.status === 404 || response.status === 429) throw new WorkerFailure(`HTTP ${response.status} ${error.message}`);
        throw OpenAIError.from(response.status, error);
      }
      if (!request.stream) {
        clearTimeout(timer);
        timer = setTimeout(() => cancel.cancel(new Error(`no answer within ${this.options.idleTimeoutMs / 1000} s`)), this.options.idleTimeoutMs);
        const json = (await response.json()) as Chunk & Record<string, unknown>;
        cleanup();
        json.model = target.model;
        const output = new OutputCollector();
        output.add(json);
        settle({ ok: true, workerId: worker.id, promptTokens: json.usage?.prompt_tokens ?? 0, completionTokens: json.usage?.completion_tokens ?? 0, completionId: output.id, output: output.text() });
        return { stream: false, body: JSON.stringify(json) };
      }
      return await this.relay(worker, response, target, Boolean(request.stream_options?.include_usage), cancel, () => {
        clearTimeout(timer);
        timer = setTimeout(() => cancel.cancel(new Error(`the worker sent nothing for ${this.options.idleTimeoutMs / 1000} s`)), this.options.idleTimeoutMs);
      }, cleanup, settle);
    } catch (error) {
      cleanup();
      if (error instanceof OpenAIError || error instanceof WorkerFailure) throw error;
      if (client?.cancelled) throw new OpenAIError(499, "The client closed the request.", "invalid_request_error", "client_closed");
      throw new WorkerFailure(describeFetchError(cancel.reason ?? error));
    }
  }

  /**
   * Reads the worker's SSE until the first token (failures until then are WorkerFailures, so the
   * caller fails over), then streams the rest to the client. A failure after that ends the
   * client's stream with an OpenAI error event.
   */
  private async relay(worker: ServingWorker, response: WorkerResponse, target: Target, includeUsage: boolean, cancel: Cancel, resetIdle: () => void, cleanup: () => void, settle: (o: Outcome) => void): Promise<Answer> {
    const reader = response.stream().getReader();
    const parser = new SseParser();
    const early: Chunk[] = [];
    const output = new OutputCollector();
    let usage: Usage | null = null;
    let finished = false;
    // Chunks as the client should see them: our model name; usage only when it asked.
    const rewrite = (chunk: Chunk): Chunk | null => {
      output.add(chunk);
      if (chunk.usage) usage = chunk.usage;
      if (!includeUsage) {
        if (chunk.usage && (chunk.choices ?? []).length === 0) return null;
        delete chunk.usage;
      }
      chunk.model = target.model;
      return chunk;
    };
    const take = (data: string): Chunk | null => {
      if (data === SSE_DONE) {
        finished = true;
        return null;
      }
      const chunk = JSON.parse(data) as Chunk;
      if (chunk.error) throw new WorkerFailure(`stream error: ${chunk.error.message}`);
      return chunk;
    };

    let committed = false;
    try {
      while (!committed && !finished) {
        const { done, value } = await reader.read();
        if (done) throw new WorkerFailure("the stream ended before the first token");
        for (const data of parser.push(value)) {
          const chunk = take(data);
          if (chunk) {
            early.push(chunk);
            committed ||= hasToken(chunk);
          }
        }
      }
    } catch (error) {
      await reader.cancel().catch(() => {});
      throw error instanceof WorkerFailure ? error : new WorkerFailure(describeFetchError(cancel.reason ?? error));
    }
    resetIdle();

    const outcome = (ok: boolean, error?: string): Outcome => ({
      ok,
      workerId: worker.id,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? 0,
      completionId: output.id,
      output: ok ? output.text() : "",
      error,
    });
    const stream = new ReadableStream<Uint8Array>({
      start(out) {
        for (const chunk of early) {
          const shown = rewrite(chunk);
          if (shown) out.enqueue(sseEvent(shown));
        }
      },
      async pull(out) {
        try {
          while (!finished) {
            const { done, value } = await reader.read();
            if (done) throw new Error("the worker's stream ended without [DONE]");
            resetIdle();
            let sent = false;
            for (const data of parser.push(value)) {
              const chunk = take(data);
              const shown = chunk && rewrite(chunk);
              if (shown) {
                out.enqueue(sseEvent(shown));
                sent = true;
              }
            }
            if (sent) return;
          }
          out.enqueue(sseEvent(SSE_DONE));
          out.close();
          cleanup();
          settle(outcome(true));
        } catch (error) {
          const reason = error instanceof WorkerFailure ? error.message : describeFetchError(cancel.reason ?? error);
          const message = `The worker serving ${target.model} failed mid-answer (${reason}). The answer is incomplete; retry the request.`;
          out.enqueue(sseEvent({ error: { message, type: "server_error", param: null, code: "worker_failed" } }));
          out.close();
          await reader.cancel().catch(() => {});
          cleanup();
          settle(outcome(false, reason));
        }
      },
      async cancel() {
        cancel.cancel(new Error("the client went away"));
        await reader.cancel().catch(() => {});
        cleanup();
        settle(outcome(false, "the client went away"));
      },
    });
    return { stream: true, events: stream };
  }
}

const globalGateways = globalThis as unknown as { tributaryGateways?: WeakMap<Db, Gateway> };

/**
 * The process's gateway for a database: one per database, so in-flight counts and caches are
 * shared by every request (and kept across dev reloads). `options` apply when it is first made.
 */
export function gatewayFor(deps: GatewayDeps, options: Partial<GatewayOptions> = {}): Gateway {
  globalGateways.tributaryGateways ??= new WeakMap();
  let gateway = globalGateways.tributaryGateways.get(deps.db);
  if (!gateway) {
    gateway = new Gateway(deps, options);
    globalGateways.tributaryGateways.set(deps.db, gateway);
  }
  return gateway;
}

function once<T>(fn: ((value: T) => void) | undefined): (value: T) => void {
  let done = false;
  return (value) => {
    if (done) return;
    done = true;
    fn?.(value);
  };
}
