// What an attribution epoch commits on chain: per model version with a reward tree, the root and
// total (TributaryRewards.commitEpoch, in the native currency), queued in the transaction that
// marks the version's epoch queued, after the version's registration. On a dev chain the
// committer then funds it (TributaryRewards.fund) as another outbox call; in production the
// platform funds epochs itself.
import "server-only";
import { zeroAddress, type Hex } from "viem";
import type { Db } from "@/server/db/connect";
import { epochModelsToCommit, markEpochModelQueued } from "@/server/db/queries/attribution";
import { findVersionForRegistration, setAdapterSha256 } from "@/server/db/queries/finetune";
import { adapterFilesSchema } from "@/server/finetune/fine-tunes";
import { adapterSha256 } from "@/server/finetune/adapter-files";
import type { BlobStore } from "@/server/storage/types";
import { contractCall, uuidToBytes32 } from "./calls";
import type { ChainConfig } from "./config";
import { enqueueModelRegistration } from "./model-registrations";
import { enqueue } from "./outbox";

/** Idempotency keys: one commit and one funding per model version and epoch. */
export const EPOCH_COMMIT_KEY_PREFIX = "epoch:";
export const EPOCH_FUND_KEY_PREFIX = "epoch-fund:";
export const epochCommitKey = (chainId: number, fineTuneId: string, epoch: number) => `${EPOCH_COMMIT_KEY_PREFIX}${chainId}:${fineTuneId}:${epoch}`;
export const epochFundKey = (chainId: number, fineTuneId: string, epoch: number) => `${EPOCH_FUND_KEY_PREFIX}${chainId}:${fineTuneId}:${epoch}`;

/** A version trained before adapters were hashed gets its hash now, from the files (outside any transaction). */
async function ensureAdapterHash(db: Db, store: BlobStore, fineTuneId: string) {
  const version = await findVersionForRegistration(db, fineTuneId);
  if (!version || version.adapterSha256) return;
  const files = adapterFilesSchema.nullable().parse(version.adapter) ?? [];
  await setAdapterSha256(db, fineTuneId, await adapterSha256(store, files));
}

async function queueEpoch(db: Db, chain: ChainConfig, row: Awaited<ReturnType<typeof epochModelsToCommit>>[number]) {
  const model = uuidToBytes32(row.fineTuneId);
  const epoch = BigInt(row.epoch);
  const total = BigInt(row.total);
  const commitKey = epochCommitKey(chain.chainId, row.fineTuneId, row.epoch);
  const fundKey = chain.fundEpochs ? epochFundKey(chain.chainId, row.fineTuneId, row.epoch) : null;
  return db.transaction(async (tx) => {
    const registration = (await enqueueModelRegistration(tx, chain, row.fineTuneId))!;
    const commit = await enqueue(tx, chain, commitKey, contractCall("rewards", "commitEpoch", [model, epoch, row.root as Hex, zeroAddress, total]), { dependsOn: registration.id });
    if (fundKey) await enqueue(tx, chain, fundKey, contractCall("rewards", "fund", [model, epoch, total], total), { dependsOn: commit.id });
    return markEpochModelQueued(tx, row, { chainId: chain.chainId, rewardsAddress: chain.addresses.rewards, commitKey, fundKey });
  });
}

/**
 * Queues the commit (and on a dev chain the funding) of every rolled-up version epoch that has a
 * reward tree and none queued; the services loop calls it after each roll-up. Nothing without a
 * committer key. A version that cannot be registered (no adapter files) is logged and skipped.
 */
export async function commitRolledUpEpochs(db: Db, store: BlobStore, chain: ChainConfig | null, limit = 100): Promise<number> {
  if (!chain?.committerKey) return 0;
  let queued = 0;
  for (const row of await epochModelsToCommit(db, limit)) {
    try {
      await ensureAdapterHash(db, store, row.fineTuneId);
      if (await queueEpoch(db, chain, row)) queued++;
    } catch (error) {
      console.error(`epoch ${row.epoch} of model version ${row.fineTuneId}: not queued for the chain:`, error instanceof Error ? error.message : error);
    }
  }
  return queued;
}
