// Attributing one inference: match its output against the model version's index, weigh the
// spans, split the contributors' part of its fee, and store it all off-chain. The stored row
// is what the epoch roll-up sums and what `verify` recomputes.
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { findAttribution, findIndex, findModelVersion, insertAttribution, requestIndex } from "@/server/db/queries/attribution";
import type { BlobStore } from "@/server/storage/types";
import { AttributionIndexError, loadAttributionIndex } from "./build";
import { sha256Hex, type AttributionIndex } from "./corpus";
import { epochOf } from "./epochs";
import { DEFAULT_MIN_WORDS, findSpans } from "./match";
import { contributorKey, weighSpans, type Attribution } from "./shares";

const weiAmount = z.union([z.bigint(), z.string().regex(/^\d+$/, "must be a non-negative integer")]).transform((v) => BigInt(v));

export const attributeInferenceInput = z.object({
  modelVersionId: z.uuid(),
  inferenceId: z.string().min(1).max(200),
  deploymentId: z.uuid().nullable().default(null),
  keyId: z.uuid().nullable().default(null),
  output: z.string(),
  /** The contributors' part of the fee, an integer in the smallest unit (wei), as a decimal string or bigint. */
  feeAmount: weiAmount,
  /** The model owner's and the platform's parts of the same fee, stored beside it for the epoch's roll-up. */
  ownerAmount: weiAmount.default(0n),
  platformAmount: weiAmount.default(0n),
  minWords: z.number().int().min(1).max(1000).default(DEFAULT_MIN_WORDS),
});

/** Matching and weighing only: what the service stores and `verify` recomputes. */
export function attributeOutput(index: AttributionIndex, output: string, feeAmount: bigint, minWords = DEFAULT_MIN_WORDS): Attribution {
  return weighSpans(index, findSpans(index, output, minWords), feeAmount);
}

/** The document `verify` compares with: everything needed to recompute, and the result. */
export interface StoredAttribution extends Attribution {
  inferenceId: string;
  indexHash: string;
  minWords: number;
  feeAmount: string;
  outputSha256: string;
}

/** Attributes an inference once; a second call with the same inference id returns the first result. */
export async function attributeInference(db: Db, store: BlobStore, input: z.input<typeof attributeInferenceInput>): Promise<StoredAttribution> {
  const { modelVersionId, inferenceId, deploymentId, keyId, output, feeAmount, ownerAmount, platformAmount, minWords } = attributeInferenceInput.parse(input);
  const done = await storedAttribution(db, inferenceId);
  if (done) return done;
  const version = await findModelVersion(db, modelVersionId);
  if (!version) throw new AttributionIndexError(`model version ${modelVersionId} does not exist`, { retryable: false });
  const row = await findIndex(db, modelVersionId);
  if (!row) {
    // A version trained before attribution existed: its index is built now.
    await requestIndex(db, version);
    throw new AttributionIndexError(`the attribution index of model version ${modelVersionId} was not built; it is requested now`, { retryable: true });
  }
  if (row.status === "failed") throw new AttributionIndexError(`the attribution index of model version ${modelVersionId} failed to build: ${row.error ?? "no reason given"}`, { retryable: false });
  if (row.status !== "ready") throw new AttributionIndexError(`the attribution index of model version ${modelVersionId} is ${row.status}; attribute once it is ready`, { retryable: true });
  const index = await loadAttributionIndex(store, row);
  const result = attributeOutput(index, output, feeAmount, minWords);
  await insertAttribution(
    db,
    {
      inferenceId,
      orgId: version.orgId,
      modelId: version.modelId,
      fineTuneId: version.id,
      deploymentId,
      keyId,
      indexId: row.id,
      indexHash: row.indexHash!,
      // The epoch it is attributed in, not the one it was answered in: an epoch rolled up after its end gets nothing late.
      epoch: epochOf(new Date()),
      method: result.method,
      minWords,
      outputSha256: sha256Hex(output),
      feeAmount: feeAmount.toString(),
      ownerAmount: ownerAmount.toString(),
      platformAmount: platformAmount.toString(),
      spans: result.spans,
    },
    result.contributors.map((c) => ({ ...c, contributorKey: contributorKey(c) })),
  );
  return (await storedAttribution(db, inferenceId))!;
}

/** An inference's stored attribution in the form `verify` reads, or null. */
export async function storedAttribution(db: Db, inferenceId: string): Promise<StoredAttribution | null> {
  const row = await findAttribution(db, inferenceId);
  if (!row) return null;
  return {
    inferenceId: row.inferenceId,
    indexHash: row.indexHash,
    minWords: row.minWords,
    feeAmount: row.feeAmount,
    outputSha256: row.outputSha256,
    method: row.method,
    spans: row.spans as Attribution["spans"],
    // Sorted here, not in SQL: the database's collation need not order keys as JavaScript does.
    contributors: row.shares
      .sort((a, b) => (a.contributorKey < b.contributorKey ? -1 : a.contributorKey > b.contributorKey ? 1 : 0))
      .map((s) => ({ contributorId: s.contributorId, contributorWallet: s.contributorWallet, weight: s.weight, share: s.share, amount: s.amount })),
  };
}
