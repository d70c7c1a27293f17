// What training a model version commits on chain: its registration (adapter hash, base model,
// the Datanet versions it trained on, its owner), queued in the transaction that makes the
// version, after the commits of those Datanet versions. The version's epochs wait on it. The
// model id on chain is the version's id: each version is its own adapter and earns its own epochs.
import "server-only";
import { privateKeyToAccount } from "viem/accounts";
import type { Db, Tx } from "@/server/db/connect";
import { findOutboxRows } from "@/server/db/queries/chain";
import { findVersionForRegistration, trainingDataOf } from "@/server/db/queries/finetune";
import { contractCall, sha256ToBytes32, uuidToBytes32 } from "./calls";
import type { ChainConfig } from "./config";
import { versionCommitKey } from "./datanet-commits";
import { enqueue } from "./outbox";

/** Idempotency key: one registration per model version (per chain). */
export const MODEL_REGISTRATION_KEY_PREFIX = "model-version:";
export const modelRegistrationKey = (fineTuneId: string) => `${MODEL_REGISTRATION_KEY_PREFIX}${fineTuneId}`;

/**
 * Queues the version's registration (once); null when no chain or no committer key is set. It
 * waits on every one of its Datanet versions' commits that the outbox holds; a Datanet version
 * published with no chain has none, and the registration then fails with the contract's reason
 * ("version N of Datanet … is not committed on chain").
 */
export async function enqueueModelRegistration(tx: Db | Tx, chain: ChainConfig | null, fineTuneId: string) {
  if (!chain?.committerKey) return null;
  const version = await findVersionForRegistration(tx, fineTuneId);
  if (!version) throw new Error(`model version ${fineTuneId} does not exist`);
  if (!version.adapterSha256) throw new Error(`model version ${fineTuneId} has no adapter hash: it is registered once its adapter is hashed`);
  const training = await trainingDataOf(tx, fineTuneId);
  const commits = await findOutboxRows(tx, chain.chainId, training.map((t) => versionCommitKey(t.versionId)));
  const owner = (version.ownerWallet ?? privateKeyToAccount(chain.committerKey).address) as `0x${string}`;
  return enqueue(
    tx,
    chain,
    modelRegistrationKey(fineTuneId),
    contractCall("registry", "registerModel", [
      uuidToBytes32(fineTuneId),
      owner,
      sha256ToBytes32(version.adapterSha256),
      version.baseModel,
      training.map((t) => ({ datanetId: uuidToBytes32(t.datanetId), version: t.number })),
    ]),
    { dependsOn: commits.map((c) => c.id) },
  );
}
