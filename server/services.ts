// Background loops of the web process: the lease reaper requeues jobs whose worker went
// silent; the chain sender sends the outbox's commits and the chain indexer follows the
// contracts' events; the attribution loops index trained versions, attribute inferences, and roll
// up epochs and queue their commits. Started once per process by instrumentation.ts; safe to run
// in every replica (the sender holds a lease per signer, index builds are claimed in the
// database, indexing is idempotent).
import "server-only";
import { startAttributionLoops } from "@/server/attribution/loops";
import { appChainConfig } from "@/server/chain/config";
import { startChainIndexer } from "@/server/chain/indexer-loop";
import { ChainSender } from "@/server/chain/sender";
import { getDb } from "@/server/db/client";
import { appQueuePolicy } from "@/server/jobs/app-worker-api";
import { reapExpiredLeases } from "@/server/jobs/queue";
import { getBlobStore } from "@/server/storage/app-store";

const REAP_EVERY_MS = 10_000;
const globalForServices = globalThis as unknown as { tributaryServices?: { reaper: NodeJS.Timeout; sender: ChainSender | null } };

function startChainSender(): ChainSender | null {
  const chain = appChainConfig();
  if (!chain) return null;
  const { committerKey } = chain;
  if (!committerKey) {
    console.warn(`chain sender: not started, no committer key (CHAIN_COMMITTER_KEY); commits for chain ${chain.chainId} are not sent`);
    return null;
  }
  const sender = new ChainSender({ db: getDb(), chain: { ...chain, committerKey }, log: (message) => console.error(message) });
  sender.start();
  return sender;
}

export function startServices() {
  if (globalForServices.tributaryServices) return;
  const policy = appQueuePolicy();
  const reaper = setInterval(() => {
    reapExpiredLeases(getDb(), policy).catch((error: unknown) => console.error("lease reaper:", error));
  }, REAP_EVERY_MS);
  reaper.unref();
  globalForServices.tributaryServices = { reaper, sender: startChainSender() };
  startChainIndexer(getDb(), appChainConfig());
  startAttributionLoops(() => ({ db: getDb(), store: getBlobStore(), chain: appChainConfig() }));
}
