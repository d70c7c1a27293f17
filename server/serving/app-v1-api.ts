// The public /v1 API of the running app: its database and blob store. The app server
// (scripts/serve.mjs) answers /v1 with it, ahead of Next's routing: instrumentation.ts hands it
// over through provideV1Api when the server process starts.
import "server-only";
import { getDb } from "@/server/db/client";
import { getBlobStore } from "@/server/storage/app-store";
import { createV1Api } from "./v1-api";

export const v1Api = createV1Api(() => ({ db: getDb(), store: getBlobStore() }));

/** Gives the app server the /v1 handler; warns when this process was started some other way (nothing answers /v1 then). */
export function provideV1Api() {
  const server = (globalThis as { tributaryV1?: { provide(api: typeof v1Api): void } }).tributaryV1;
  if (server) server.provide(v1Api);
  else console.warn("/v1 is not served: this process was not started by scripts/serve.mjs. Start the app with `npm start` (or `npm run dev`).");
}
