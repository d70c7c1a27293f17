// Background loops of the web process: the lease reaper requeues jobs whose worker went
// silent; the chain indexer follows the contracts' events. Started once per process by
// instrumentation.ts; safe to run in every replica.
import "server-only";
import { startChainIndexer } from "@/server/chain/indexer-loop";
import { getDb } from "@/server/db/client";
import { appQueuePolicy } from "@/server/jobs/app-worker-api";
import { reapExpiredLeases } from "@/server/jobs/queue";

const REAP_EVERY_MS = 10_000;
const globalForServices = globalThis as unknown as { tributaryServices?: NodeJS.Timeout };

export function startServices() {
  if (globalForServices.tributaryServices) return;
  const policy = appQueuePolicy();
  globalForServices.tributaryServices = setInterval(() => {
    reapExpiredLeases(getDb(), policy).catch((error: unknown) => console.error("lease reaper:", error));
  }, REAP_EVERY_MS);
  globalForServices.tributaryServices.unref();
  startChainIndexer(getDb());
}
