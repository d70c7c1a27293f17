// Calls to a serving worker's HTTP API (gpu-worker/SERVING.md), signed with the HMAC scheme
// the worker verifies: the key is the hex sha256 of its worker token, which is all we store.
// node:http with kept-alive connections rather than fetch: on the gateway's hot path fetch's
// WHATWG machinery (Request, body streams, abort signals) cost more CPU than the rest of a call.
// Calls are cancelled with a Cancel rather than an AbortSignal: see there.
import { createHash, createHmac } from "node:crypto";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

export interface ServingWorker {
  id: string;
  name: string;
  /** Base URL from capabilities.serving.url, without a trailing slash. */
  url: string;
  baseModel: string;
  maxBatchSize: number;
  /** worker_tokens.token_hash: the HMAC key. */
  tokenHash: string;
}

/** An OpenAI error object as workers and the gateway answer them. */
export interface OpenAIErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const sha256Hex = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The `Authorization` value for one call; `path` is the URL path without its query string. */
export function signWorkerCall(tokenHash: string, method: string, path: string, body: string | Uint8Array, ts = Math.floor(Date.now() / 1000)) {
  const sig = createHmac("sha256", Buffer.from(tokenHash, "utf8")).update(`${ts}\n${method.toUpperCase()}\n${path}\n${sha256Hex(body)}`).digest("hex");
  return `Tributary-HMAC ts=${ts},sig=${sig}`;
}

export function workerUrl(worker: Pick<ServingWorker, "url">, path: string) {
  return new URL(`${worker.url.replace(/\/+$/, "")}${path}`);
}

/** A worker's base URL as node:http request options, parsed once per URL rather than per call. */
interface Origin {
  https: boolean;
  hostname: string;
  port: number;
  /** The base URL's path, without a trailing slash ("" for most workers). */
  basePath: string;
}

const origins = new Map<string, Origin>();
const MAX_ORIGINS = 10_000;

function originOf(baseUrl: string): Origin {
  let origin = origins.get(baseUrl);
  if (!origin) {
    const url = new URL(baseUrl);
    const https = url.protocol === "https:";
    // URL keeps IPv6 hosts in brackets; node:http wants them bare.
    origin = { https, hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port) || (https ? 443 : 80), basePath: url.pathname.replace(/\/+$/, "") };
    if (origins.size >= MAX_ORIGINS) origins.clear();
    origins.set(baseUrl, origin);
  }
  return origin;
}

/** A worker's answer; its body is read once, as text, JSON or a web stream, or cancelled. */
export interface WorkerResponse {
  status: number;
  ok: boolean;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** The body as a web stream (an SSE answer to relay). */
  stream(): ReadableStream<Uint8Array>;
  /** Drops the rest of the body and the connection. */
  cancel(): void;
}

/**
 * Cancels worker calls: the part of AbortController the gateway needs, as a plain object. Each
 * call's AbortSignal (an EventTarget, with the listeners http.request adds) outlived the young
 * generation's collections: at 1,000 calls/s they moved ~2 KB a call into the old generation,
 * whose collections then paused the gateway 10-40 ms every 20-30 s (bench/README.md).
 */
export class Cancel {
  /** Why it was cancelled; undefined until it is. */
  reason: Error | undefined;
  private listeners: ((reason: Error) => void)[] = [];

  /** Cancelled after `ms` with `reason`; the timer does not keep the process alive. */
  static after(ms: number, reason: string): Cancel {
    const cancel = new Cancel();
    setTimeout(() => cancel.cancel(new Error(reason)), ms).unref();
    return cancel;
  }

  get cancelled() {
    return this.reason !== undefined;
  }

  cancel(reason: Error) {
    if (this.reason) return;
    this.reason = reason;
    for (const listener of this.listeners.splice(0)) listener(reason);
  }

  /** Calls `listener` once when cancelled (now, if it is); returns what removes it. */
  onCancel(listener: (reason: Error) => void): () => void {
    if (this.reason) {
      listener(this.reason);
      return () => {};
    }
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }
}

const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

/** The whole body as text (rejects when the connection breaks or the call is aborted first). */
function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.on("aborted", () => reject(new Error("the worker's answer was cut off")));
  });
}

function workerResponse(res: IncomingMessage): WorkerResponse {
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    text: () => readText(res),
    json: async () => JSON.parse(await readText(res)) as unknown,
    stream: () => Readable.toWeb(res) as ReadableStream<Uint8Array>,
    cancel: () => res.destroy(),
  };
}

/**
 * One signed call; rejects when the worker cannot be reached or `cancel` is cancelled (with its
 * reason), and a cancel during the answer cuts its body off.
 */
export async function callWorker(worker: ServingWorker, method: "GET" | "POST" | "PUT" | "DELETE", path: string, body: unknown, cancel?: Cancel): Promise<WorkerResponse> {
  const origin = originOf(worker.url);
  const fullPath = origin.basePath + path;
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Record<string, string | number> = { authorization: signWorkerCall(worker.tokenHash, method, fullPath, text), "content-length": Buffer.byteLength(text) };
  if (body !== undefined) headers["content-type"] = "application/json";
  const options = { method, headers, hostname: origin.hostname, port: origin.port, path: fullPath, agent: origin.https ? agents["https:"] : agents["http:"] };
  const send = () =>
    new Promise<WorkerResponse>((resolve, reject) => {
      if (cancel?.reason) return reject(cancel.reason);
      const req = (origin.https ? https : http).request(options, (res) => {
        res.once("close", stop);
        resolve(workerResponse(res));
      });
      const stop = cancel ? cancel.onCancel((reason) => req.destroy(reason)) : () => {};
      // A kept-alive connection the worker closed just before this call: Node's documented race; a new connection is safe to try.
      req.on("error", (error: NodeJS.ErrnoException) => {
        stop();
        reject(cancel?.reason ?? Object.assign(error, { retry: req.reusedSocket && error.code === "ECONNRESET" }));
      });
      req.end(text);
    });
  try {
    return await send();
  } catch (error) {
    if ((error as { retry?: boolean }).retry && !cancel?.cancelled) return send();
    throw error;
  }
}

/** The OpenAI error object in a worker's error answer, or one describing the raw answer. */
export async function readWorkerError(response: WorkerResponse): Promise<OpenAIErrorBody> {
  const text = await response.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { error?: Partial<OpenAIErrorBody> };
    if (parsed.error && typeof parsed.error.message === "string") {
      return { message: parsed.error.message, type: parsed.error.type ?? "server_error", param: parsed.error.param ?? null, code: parsed.error.code ?? null };
    }
  } catch {
    // not JSON: described below
  }
  return { message: `HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ""}`, type: "server_error", param: null, code: null };
}

/** Why a call failed, in words: "connection refused", "timed out after 30 s", the error's message. */
export function describeFetchError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "connection reset";
  if (code === "ENOTFOUND") return "host not found";
  return error instanceof Error ? error.message : String(error);
}
