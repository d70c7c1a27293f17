// The app's HTTP edges that a real worker and a real API client talk to, served by the same
// handlers the app serves (the worker protocol's and signed blob URLs' Next routes, the public
// /v1 API as scripts/serve.mjs answers it) on a plain Node server, so a test can run them against
// one test database without `next`.
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Db } from "@/server/db/connect";
import type { QueuePolicy } from "@/server/jobs/queue";
import { createWorkerApi } from "@/server/jobs/worker-api";
import { createV1Api } from "@/server/serving/v1-api";
import { handleBlobRequest } from "@/server/storage/http";
import type { BlobStore } from "@/server/storage/types";
import { TEST_APP_URL } from "./context";

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** `store` with its signed URLs pointing at `baseUrl` instead of TEST_APP_URL (what APP_URL does in the app). */
function rebased(store: BlobStore, baseUrl: () => string): BlobStore {
  const rebase = (url: string) => (url.startsWith(TEST_APP_URL) ? baseUrl() + url.slice(TEST_APP_URL.length) : url);
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "presignGet") return async (...args: Parameters<BlobStore["presignGet"]>) => rebase(await target.presignGet(...args));
      if (prop === "presignPut") return async (...args: Parameters<BlobStore["presignPut"]>) => rebase(await target.presignPut(...args));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export async function startControlPlane(options: { db: Db; blobs: BlobStore; blobSecret: string; policy: QueuePolicy }) {
  let url = "";
  const store = rebased(options.blobs, () => url);
  const worker = createWorkerApi(() => ({ db: options.db, store, policy: options.policy }));
  const v1 = createV1Api(() => ({ db: options.db, store }));
  const jobRoutes: Record<string, Handler> = {
    heartbeat: worker.heartbeat,
    events: worker.events,
    "upload-url": worker.uploadUrl,
    complete: worker.complete,
    fail: worker.fail,
    release: worker.release,
  };

  function route(method: string, path: string): { handler: Handler; params: Record<string, string> } | null {
    const job = /^\/api\/worker\/v1\/jobs\/([^/]+)\/([a-z-]+)$/.exec(path);
    if (method === "POST" && job && jobRoutes[job[2]!]) return { handler: jobRoutes[job[2]!]!, params: { jobId: job[1]! } };
    if (method === "POST" && path === "/api/worker/v1/register") return { handler: worker.register, params: {} };
    if (method === "POST" && path === "/api/worker/v1/lease") return { handler: worker.lease, params: {} };
    const blob = /^\/api\/blobs\/(.+)$/.exec(path);
    if (blob && (method === "GET" || method === "PUT")) {
      const key = decodeURIComponent(blob[1]!);
      return { handler: (req) => handleBlobRequest(req, { store, secret: options.blobSecret, op: method === "GET" ? "get" : "put", key }), params: {} };
    }
    return null;
  }

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const target = new URL(req.url ?? "/", url);
    // As the app server does: /v1 goes to its handler on Node's request and response.
    if (target.pathname.startsWith("/v1/")) return v1.handle(req, res);
    const found = route(req.method ?? "GET", target.pathname);
    if (!found) return res.writeHead(404).end();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const aborted = new AbortController();
    res.on("close", () => aborted.abort());
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const request = new Request(target, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, signal: aborted.signal });
    const response = await found.handler(request, { params: Promise.resolve(found.params) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return res.end();
    const reader = response.body.getReader();
    try {
      for (let part = await reader.read(); !part.done; part = await reader.read()) res.write(part.value);
    } finally {
      res.end();
    }
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      console.error("control plane test server", error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    v1,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
