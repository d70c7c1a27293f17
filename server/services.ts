// Background loops of the web process: the lease reaper requeues jobs whose worker went
// silent; the attribution loops index trained versions and attribute inferences. Started once
// per process by instrumentation.ts; safe to run in every replica.
import "server-only";
import { startAttributionLoops } from "@/server/attribution/loops";
import { getDb } from "@/server/db/client";
import { appQueuePolicy } from "@/server/jobs/app-worker-api";
import { reapExpiredLeases } from "@/server/jobs/queue";
import { getBlobStore } from "@/server/storage/app-store";

const REAP_EVERY_MS = 10_000;
const globalForServices = globalThis as unknown as { tributaryServices?: NodeJS.Timeout };

export function startServices() {
  if (globalForServices.tributaryServices) return;
  const policy = appQueuePolicy();
  globalForServices.tributaryServices = setInterval(() => {
    reapExpiredLeases(getDb(), policy).catch((error: unknown) => console.error("lease reaper:", error));
  }, REAP_EVERY_MS);
  globalForServices.tributaryServices.unref();
  startAttributionLoops(() => ({ db: getDb(), store: getBlobStore() }));
}
