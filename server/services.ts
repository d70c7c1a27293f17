// Background loops of the web process: the lease reaper requeues jobs whose worker went
// silent; the attribution index builder indexes newly trained model versions. Started once per
// process by instrumentation.ts; safe to run in every replica (index builds are claimed in the
// database).
import "server-only";
import { buildNextIndex } from "@/server/attribution/build";
import { getDb } from "@/server/db/client";
import { appQueuePolicy } from "@/server/jobs/app-worker-api";
import { reapExpiredLeases } from "@/server/jobs/queue";
import { getBlobStore } from "@/server/storage/app-store";

const REAP_EVERY_MS = 10_000;
const INDEX_EVERY_MS = 15_000;
const globalForServices = globalThis as unknown as { tributaryServices?: NodeJS.Timeout; tributaryIndexer?: NodeJS.Timeout };

let indexing = false;

/** One build at a time per process; builds until none is pending. */
async function buildPendingIndexes() {
  if (indexing) return;
  indexing = true;
  try {
    while (await buildNextIndex(getDb(), getBlobStore()));
  } finally {
    indexing = false;
  }
}

export function startServices() {
  if (globalForServices.tributaryServices) return;
  const policy = appQueuePolicy();
  globalForServices.tributaryServices = setInterval(() => {
    reapExpiredLeases(getDb(), policy).catch((error: unknown) => console.error("lease reaper:", error));
  }, REAP_EVERY_MS);
  globalForServices.tributaryServices.unref();
  globalForServices.tributaryIndexer = setInterval(() => {
    buildPendingIndexes().catch((error: unknown) => console.error("attribution index builder:", error));
  }, INDEX_EVERY_MS);
  globalForServices.tributaryIndexer.unref();
}
