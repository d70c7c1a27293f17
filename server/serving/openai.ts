// OpenAI's wire format at the public /v1 edge: request bodies (validated, with the field named
// when one is wrong), error objects with their HTTP statuses, and the body sent on to a worker.
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { sendJson } from "./node-http";
import type { OpenAIErrorBody } from "./worker-client";

export class OpenAIError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "OpenAIError";
  }

  static from(status: number, body: OpenAIErrorBody, headers: Record<string, string> = {}) {
    return new OpenAIError(status, body.message, body.type, body.code, body.param, headers);
  }

  get body(): { error: OpenAIErrorBody } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** Answers the request with this error object. */
  send(res: ServerResponse) {
    sendJson(res, this.status, JSON.stringify(this.body), this.headers);
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) => new OpenAIError(400, message, "invalid_request_error", code, param);

const stop = z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).max(4, "at most 4 stop sequences")]).nullish();
const textPart = z.object({ type: z.literal("text"), text: z.string() });

/** Fields both endpoints share; unknown fields are dropped, and ones we cannot honour are refused by name. */
const sampling = {
  model: z.string({ error: "name a deployment" }).min(1, "name a deployment").max(200),
  max_tokens: z.number().int().min(1).max(32_768).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  stop,
  seed: z.number().int().min(0).max(2 ** 53 - 1).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, "only n = 1 is supported").nullish(),
  user: z.string().max(256).nullish(),
};

const unsupported = ["tools", "functions", "tool_choice", "function_call", "logprobs", "top_logprobs", "logit_bias", "best_of", "echo", "suffix"] as const;

export const chatRequestSchema = z.object({
  ...sampling,
  /** OpenAI's newer name for max_tokens; either may be sent. */
  max_completion_tokens: z.number().int().min(1).max(32_768).nullish(),
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "developer", "user", "assistant"], "role must be system, developer, user or assistant"),
        content: z.union([z.string(), z.array(textPart).min(1)], "content must be a string or an array of text parts"),
      }),
    )
    .min(1, "send at least one message")
    .max(256),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const completionRequestSchema = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).length(1, "send one prompt per request")], "prompt must be a string"),
});
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

export type Endpoint = "chat" | "completions";
export const endpointPath: Record<Endpoint, string> = { chat: "/v1/chat/completions", completions: "/v1/completions" };

/** Parses a request body, answering 400 with the first wrong field named in `param`. */
export function parseRequest<S extends z.ZodType>(schema: S, json: unknown): z.infer<S> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw badRequest("The body must be a JSON object.");
  for (const field of unsupported) {
    if ((json as Record<string, unknown>)[field] != null && (json as Record<string, unknown>)[field] !== false) {
      throw badRequest(`${field} is not supported by this API.`, field, "unsupported_parameter");
    }
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") || null;
  throw badRequest(`${param ?? "body"}: ${issue.message}`, param, "invalid_value");
}

/** The worker's request for one endpoint: only the fields SERVING.md names, usage always on for streams. */
export function workerBody(endpoint: Endpoint, request: ChatRequest | CompletionRequest, workerModel: string) {
  const maxTokens = ("max_completion_tokens" in request ? request.max_completion_tokens : null) ?? request.max_tokens;
  const body: Record<string, unknown> = { model: workerModel };
  if (endpoint === "chat") {
    body.messages = (request as ChatRequest).messages.map((m) => ({
      // The worker's chat templates know system, user and assistant; developer is OpenAI's new name for system.
      role: m.role === "developer" ? "system" : m.role,
      content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
    }));
  } else {
    const prompt = (request as CompletionRequest).prompt;
    body.prompt = typeof prompt === "string" ? prompt : prompt[0];
  }
  if (maxTokens != null) body.max_tokens = maxTokens;
  for (const key of ["temperature", "top_p", "stop", "seed"] as const) if (request[key] != null) body[key] = request[key];
  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

/** Rough token count for rate-limit admission before the worker counts exactly: 4 characters a token. */
export function estimateTokens(endpoint: Endpoint, request: ChatRequest | CompletionRequest) {
  const text =
    endpoint === "chat"
      ? (request as ChatRequest).messages.map((m) => (typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""))).join("\n")
      : String((request as CompletionRequest).prompt);
  const maxTokens = ("max_completion_tokens" in request ? request.max_completion_tokens : null) ?? request.max_tokens ?? 256;
  return Math.ceil(text.length / 4) + maxTokens;
}
