// What publishing a Datanet version commits on chain: the Datanet's registration (once) and the
// version (Merkle root of its records, manifest hash, counts), enqueued in the publish's own
// transaction so a version exists exactly when its commit is queued.
import "server-only";
import { privateKeyToAccount } from "viem/accounts";
import type { Tx } from "@/server/db/connect";
import { contractCall, sha256Bytes32, sha256ToBytes32, uuidToBytes32 } from "./calls";
import type { ChainConfig } from "./config";
import { enqueue } from "./outbox";

/** Idempotency keys: one registration per Datanet, one commit per version (per chain). */
export const DATANET_REGISTRATION_KEY_PREFIX = "datanet:";
export const datanetRegistrationKey = (datanetId: string) => `${DATANET_REGISTRATION_KEY_PREFIX}${datanetId}`;
export const VERSION_COMMIT_KEY_PREFIX = "datanet-version:";
export const versionCommitKey = (versionId: string) => `${VERSION_COMMIT_KEY_PREFIX}${versionId}`;

export interface VersionCommit {
  datanetId: string;
  /** The manifest's `datanet` object as JSON: its SHA-256 is the registration's metadata hash. */
  metadataJson: string;
  /** The publisher's wallet: the Datanet's owner on chain; null: the committer holds it. */
  ownerWallet: string | null;
  versionId: string;
  number: number;
  merkleRoot: string;
  manifestSha256: string;
  recordCount: number;
  contributorCount: number;
}

/** Queues the registration (unless queued before) and the version's commit after it; null when no chain or no committer key is set. */
export async function enqueueVersionCommit(tx: Tx, chain: ChainConfig | null, commit: VersionCommit) {
  if (!chain?.committerKey) return null;
  const datanetId = uuidToBytes32(commit.datanetId);
  const owner = (commit.ownerWallet ?? privateKeyToAccount(chain.committerKey).address) as `0x${string}`;
  const registration = await enqueue(
    tx,
    chain,
    datanetRegistrationKey(commit.datanetId),
    contractCall("registry", "registerDatanet", [datanetId, owner, sha256Bytes32(commit.metadataJson)]),
  );
  return enqueue(
    tx,
    chain,
    versionCommitKey(commit.versionId),
    contractCall("registry", "commitVersion", [
      datanetId,
      commit.number,
      commit.merkleRoot as `0x${string}`,
      sha256ToBytes32(commit.manifestSha256),
      BigInt(commit.recordCount),
      BigInt(commit.contributorCount),
    ]),
    { dependsOn: registration.id },
  );
}
