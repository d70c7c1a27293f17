// A /v1 API on a local port, served as the app server (scripts/serve.mjs) serves it: its handler
// on Node's own request and response. Tests call it over HTTP with fetch.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { createV1Api } from "@/server/serving/v1-api";

export type V1Api = ReturnType<typeof createV1Api>;

export async function serveV1(api: V1Api) {
  const server = createServer((req, res) => void api.handle(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    /** fetch() of `path` (e.g. "/v1/models") on this server. */
    call: (path: string, init?: RequestInit) => fetch(url + path, init),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The headers of a JSON call with `key` as its bearer token (none when null). */
export function v1Headers(key: string | null): Record<string, string> {
  return key ? { "content-type": "application/json", authorization: `Bearer ${key}` } : { "content-type": "application/json" };
}
