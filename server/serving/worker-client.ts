// Calls to a serving worker's HTTP API (gpu-worker/SERVING.md), signed with the HMAC scheme
// the worker verifies: the key is the hex sha256 of its worker token, which is all we store.
import { createHash, createHmac } from "node:crypto";

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

/** One signed call; rejects like fetch does when the worker cannot be reached or the signal aborts. */
export async function callWorker(worker: ServingWorker, method: "GET" | "POST" | "PUT" | "DELETE", path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const url = workerUrl(worker, path);
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: signWorkerCall(worker.tokenHash, method, url.pathname, text) };
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(url, { method, headers, body: body === undefined ? undefined : text, signal });
}

/** The OpenAI error object in a worker's error answer, or one describing the raw answer. */
export async function readWorkerError(response: Response): Promise<OpenAIErrorBody> {
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

/** Why a call failed, in words: "connection refused", "timed out after 30 s", the cause's message. */
export function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return error.message || "timed out";
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code === "ECONNREFUSED") return "connection refused";
  if (cause?.code === "ECONNRESET") return "connection reset";
  if (cause?.code === "ENOTFOUND") return "host not found";
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
