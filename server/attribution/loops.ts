// The attribution loops of the services process: build the indexes of newly trained model
// versions, attribute queued inferences, roll up ended epochs and queue their commits on chain.
// Every step is claimed or made idempotent in the database, so each replica may run them.
import type { ChainConfig } from "@/server/chain/config";
import { commitRolledUpEpochs } from "@/server/chain/epoch-commits";
import type { Db } from "@/server/db/connect";
import type { BlobStore } from "@/server/storage/types";
import { buildNextIndex } from "./build";
import { EPOCH_SECONDS, rollUpEndedEpochs } from "./epochs";
import { attributeQueuedInferences } from "./requests";

const INDEX_EVERY_MS = 15_000;
const ATTRIBUTE_EVERY_MS = 2_000;
// A minute, or a sixth of a shorter epoch: an ended epoch is rolled up and committed soon after its grace period.
const ROLL_UP_EVERY_MS = Math.min(60_000, (EPOCH_SECONDS * 1000) / 6);

/** Runs `step` every `ms`, never two at once in this process; errors are logged, the loop goes on. */
function every(ms: number, name: string, step: () => Promise<unknown>) {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    step()
      .catch((error: unknown) => console.error(`${name}:`, error))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return timer;
}

export function startAttributionLoops(deps: () => { db: Db; store: BlobStore; chain: ChainConfig | null }) {
  return [
    // Builds until none is pending: one at a time, as a build holds a whole snapshot in memory.
    every(INDEX_EVERY_MS, "attribution index builder", async () => {
      while (await buildNextIndex(deps().db, deps().store));
    }),
    every(ATTRIBUTE_EVERY_MS, "attribution consumer", async () => {
      while ((await attributeQueuedInferences(deps().db, deps().store)) > 0);
    }),
    every(ROLL_UP_EVERY_MS, "attribution epoch roll-up", async () => {
      const { db, store, chain } = deps();
      await rollUpEndedEpochs(db);
      // Also what earlier passes rolled up while no chain (or committer key) was set.
      await commitRolledUpEpochs(db, store, chain);
    }),
  ];
}
