// The worker protocol handlers of the running app: its database, blob store, chain and settings.
import "server-only";
import { appChainConfig } from "@/server/chain/config";
import { getDb } from "@/server/db/client";
import { env } from "@/server/env";
import { getBlobStore } from "@/server/storage/app-store";
import type { QueuePolicy } from "./queue";
import { createWorkerApi } from "./worker-api";

export const appQueuePolicy = (): QueuePolicy => ({ leaseSeconds: env.WORKER_LEASE_SECONDS, retryBaseSeconds: env.JOB_RETRY_BASE_SECONDS, retryMaxSeconds: 600 });

export const workerApi = createWorkerApi(() => ({ db: getDb(), store: getBlobStore(), policy: appQueuePolicy(), chain: appChainConfig() }));
