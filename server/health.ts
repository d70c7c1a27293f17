// Health of each dependency: ok, degraded (with the reason), or not configured.
import "server-only";
import path from "node:path";
import { sql } from "drizzle-orm";
import { createPublicClient, http } from "viem";
import { appChainConfig } from "@/server/chain/config";
import { getDb } from "@/server/db/client";
import { env } from "@/server/env";
import { workerPoolStatus } from "@/server/jobs/workers";
import { getBlobStore } from "@/server/storage/app-store";

export type CheckResult = { status: "ok"; detail?: string } | { status: "degraded"; reason: string } | { status: "not configured"; detail: string };

const TIMEOUT_MS = 3000;

async function check(run: () => Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ status: "degraded", reason: `no answer within ${TIMEOUT_MS} ms` }), TIMEOUT_MS);
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch (error) {
    return { status: "degraded", reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(): Promise<CheckResult> {
  await getDb().execute(sql`select 1`);
  return { status: "ok", detail: env.DATABASE_URL ? "postgres" : "pglite (embedded)" };
}

async function checkBlobs(): Promise<CheckResult> {
  const store = getBlobStore();
  await store.check();
  return { status: "ok", detail: store.kind === "s3" ? `s3 bucket ${env.S3_BUCKET}` : `local folder ${path.join(env.DATA_DIR, "blobs")}` };
}

async function checkChain(): Promise<CheckResult> {
  const chain = appChainConfig();
  if (!chain) return { status: "not configured", detail: "set CHAIN_RPC_URL (or run `npm run dev`, which starts a local chain) to commit attribution on-chain" };
  const chainId = await createPublicClient({ transport: http(chain.rpcUrl, { timeout: TIMEOUT_MS }) }).getChainId();
  if (chainId !== chain.chainId) return { status: "degraded", reason: `node reports chain ${chainId}, settings say CHAIN_ID=${chain.chainId}` };
  if (!chain.committerKey) return { status: "degraded", reason: `chain ${chainId} answers, but CHAIN_COMMITTER_KEY is unset: nothing is committed` };
  return { status: "ok", detail: `chain ${chainId} (${chain.source})` };
}

async function checkWorkers(): Promise<CheckResult> {
  const { online, lastSeenAt } = await workerPoolStatus(getDb());
  if (online > 0) return { status: "ok", detail: `${online} worker${online === 1 ? "" : "s"} online` };
  if (!lastSeenAt) return { status: "not configured", detail: "no worker has registered yet: create a token on the Workers page and start tributary-worker" };
  return { status: "degraded", reason: `no worker online; the last one was seen at ${lastSeenAt.toISOString()}` };
}

export async function healthReport() {
  const [database, blobs, chain, workers] = await Promise.all([
    check(checkDatabase),
    check(checkBlobs),
    check(checkChain),
    check(checkWorkers),
  ]);
  const checks = { database, blobs, chain, workers };
  const degraded = Object.values(checks).some((c) => c.status === "degraded");
  return { status: degraded ? "degraded" : "ok", checks };
}
