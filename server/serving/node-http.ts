// The /v1 API on Node's own request and response (the app server hands /v1 to it before Next,
// scripts/serve.mjs): reading a bounded body, answering JSON, streaming SSE events with
// backpressure. A route handler's WHATWG Request and Response, with their body streams, cost the
// gateway's thread about as much CPU per call as the rest of its work (bench/README.md).
import type { IncomingMessage, ServerResponse } from "node:http";
import { sseHeaders } from "./sse";

/** The body, read whole; rejects with `tooLarge()` once it passes `maxBytes` (by its Content-Length, or as it arrives). */
export function readBody(req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // The rest is not read: the answer closes the connection.
      req.off("data", onData);
      req.pause();
      reject(tooLarge());
    };
    req.on("data", onData);
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

/** Answers `body` (JSON text) with `status`; a request whose body was left unread gets its connection closed. */
export function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>) {
  if (res.headersSent) return void res.end();
  if (headers) for (const name of Object.keys(headers)) res.setHeader(name, headers[name]!);
  if (!res.req.complete) res.setHeader("connection", "close");
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Streams SSE events to the client as they come, waiting while its socket is full; a client that leaves cancels the events. */
export async function sendEvents(res: ServerResponse, events: ReadableStream<Uint8Array>) {
  const reader = events.getReader();
  const gone = () => {
    if (!res.writableFinished) void reader.cancel().catch(() => {});
  };
  res.on("close", gone);
  res.writeHead(200, sseHeaders);
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      if (res.destroyed) break;
      if (!res.write(part.value)) await drained(res);
    }
  } finally {
    res.end();
  }
}

/** Resolves when the client's socket takes writes again, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
