// A stand-in for a serving worker's HTTP API (gpu-worker/SERVING.md), used only for what the real
// worker cannot be made to do on cue: refuse connections, answer 500, die before or after the
// first token, hold requests open. It checks the gateway's HMAC signature as the worker does.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour = "ok" | "error-500" | "die-before-first-token" | "die-mid-stream" | "stall-mid-stream" | "reject-adapter" | "oom-on-load";

/** Behaviours of PUT /adapters alone: completions for adapters it holds are answered as usual. */
const adapterOnly: Behaviour[] = ["reject-adapter", "oom-on-load"];

export interface Call {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
  signatureOk: boolean;
}

const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

export class FakeServingWorker {
  readonly token = `trw_${randomBytes(24).toString("base64url")}`;
  readonly calls: Call[] = [];
  readonly adapters = new Set<string>();
  behaviour: Behaviour = "ok";
  /** While set, completion requests wait for it before answering (and "stall-mid-stream" after the first token). */
  hold: Promise<void> | null = null;
  /** Streams whose client went away before the stream ended. */
  abandoned = 0;
  /** Completion requests held (see `hold`) whose caller closed them before any answer. */
  closedWhileHeld = 0;
  /** What it answers, piece by piece (one piece per streamed chunk); default: "answer from <name>". */
  answer: string[] | null = null;
  private server: Server | null = null;
  port = 0;

  constructor(readonly name: string) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  completions() {
    return this.calls.filter((c) => c.method === "POST");
  }

  async start() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(this.port, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening: connections to its port are refused from now on. */
  async stop() {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
    this.server = null;
  }

  private verify(req: IncomingMessage, path: string, raw: Buffer) {
    const match = /^Tributary-HMAC ts=(\d+),sig=([0-9a-f]+)$/.exec(req.headers.authorization ?? "");
    if (!match) return false;
    const expected = createHmac("sha256", Buffer.from(sha256(this.token), "utf8")).update(`${match[1]}\n${req.method}\n${path}\n${sha256(raw)}`).digest("hex");
    return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) <= 300;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const body = raw.length ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : null;
    const signatureOk = this.verify(req, path, raw);
    this.calls.push({ method: req.method ?? "", path, body, signatureOk });
    const json = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    const error = (status: number, message: string, code: string | null = null) => json(status, { error: { message, type: "invalid_request_error", param: null, code } });
    if (!signatureOk) return error(401, "bad signature", null);

    const adapter = /^\/adapters\/([A-Za-z0-9._-]+)$/.exec(path);
    if (adapter && req.method === "PUT") {
      if (this.behaviour === "reject-adapter") return error(422, "lora rank 64 is greater than max_lora_rank 16");
      // The real worker's answer when copying the adapter to the GPU runs out of memory (gpu-worker/tests/test_serve_http_adapters.py).
      if (this.behaviour === "oom-on-load") return json(503, { error: { message: "the worker ran out of GPU memory for this request; retry it, or on another worker", type: "server_error", param: null, code: "out_of_memory" } });
      this.adapters.add(adapter[1]!);
      return json(200, { id: adapter[1], tier: "gpu", loadMs: 7 });
    }
    if (adapter && req.method === "DELETE") {
      this.adapters.delete(adapter[1]!);
      return json(200, { id: adapter[1], evicted: true });
    }
    if (req.method !== "POST" || !body) return error(404, "no such endpoint");
    const model = String(body.model);
    if (model !== "base" && !this.adapters.has(model)) return error(404, `adapter ${model} is not loaded`, "adapter_not_loaded");
    if (this.hold && this.behaviour !== "stall-mid-stream") {
      res.on("close", () => {
        if (!res.headersSent) this.closedWhileHeld++;
      });
      await this.hold;
    }
    if (this.behaviour === "error-500") return json(500, { error: { message: "CUDA out of memory", type: "server_error", param: null, code: null } });

    const chat = path === "/v1/chat/completions";
    // A fresh id per completion, as the real worker makes them.
    const id = `${chat ? "chatcmpl" : "cmpl"}-${randomBytes(8).toString("hex")}`;
    const words = this.answer ?? ["answer ", "from ", this.name];
    const usage = { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length };
    if (!body.stream) {
      if (this.behaviour !== "ok" && !adapterOnly.includes(this.behaviour)) return res.socket?.destroy();
      const text = words.join("");
      return json(200, {
        id,
        object: chat ? "chat.completion" : "text_completion",
        created: 1,
        model,
        choices: [chat ? { index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" } : { index: 0, text, finish_reason: "stop" }],
        usage,
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.on("close", () => {
      if (!res.writableEnded) this.abandoned++;
    });
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const chunk = (choice: Record<string, unknown>) => ({ id, object: chat ? "chat.completion.chunk" : "text_completion", created: 1, model, choices: [{ index: 0, ...choice }], ...(includeUsage ? { usage: null } : {}) });
    const send = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`);
    if (chat) send(chunk({ delta: { role: "assistant", content: "" }, finish_reason: null }));
    if (this.behaviour === "die-before-first-token") return res.socket?.destroy();
    for (const [i, w] of words.entries()) {
      send(chunk(chat ? { delta: { content: w }, finish_reason: null } : { text: w, finish_reason: null }));
      if (this.behaviour === "stall-mid-stream" && i === 0) await this.hold;
      if (this.behaviour === "die-mid-stream" && i === 1) {
        await new Promise((r) => setTimeout(r, 20));
        return res.socket?.destroy();
      }
    }
    send(chunk(chat ? { delta: {}, finish_reason: "stop" } : { text: "", finish_reason: "stop" }));
    if (includeUsage) send({ id, object: chat ? "chat.completion.chunk" : "text_completion", created: 1, model, choices: [], usage });
    res.end("data: [DONE]\n\n");
  }
}
