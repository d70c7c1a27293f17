// Inferences on their way to an attribution. The /v1 gateway queues each answered call (in its
// batched writes, after the answer is sent); the services loop attributes the queued ones against
// their model version's index, then drops the output, keeping only its hash and the matched spans.
// A request waits while the version's index is being built. Playground answers are not queued:
// the owner trying their own model is not usage, and contributors are paid for usage.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import {
  claimAttributionRequests,
  deferAttributionRequest,
  deleteAttributionRequest,
  attributionRowJson,
  enqueueAttributionJson,
  findDeploymentVersion,
  findModelVersion,
} from "@/server/db/queries/attribution";
import type { AttributionRequest } from "@/server/db/schema";
import { env } from "@/server/env";
import { splitFee, type FeeSplit } from "@/server/serving/fee-split";
import type { BlobStore } from "@/server/storage/types";
import { attributeInference } from "./attribute";
import { AttributionIndexError } from "./build";

export const recordInferenceInput = z
  .object({
    /** The completion's id; a second record with the same id is ignored. Default: a new id. */
    inferenceId: z.string().min(1).max(200).optional(),
    /** Which model version answered: the deployment that served it, or the version itself. */
    deploymentId: z.uuid().optional(),
    fineTuneId: z.uuid().optional(),
    /** The API key that asked, if any. */
    keyId: z.uuid().nullable().default(null),
    /** The generated text (every choice's, joined by a blank line when n > 1). */
    output: z.string(),
    usage: z.object({ promptTokens: z.number().int().min(0), completionTokens: z.number().int().min(0) }),
  })
  .refine((v) => v.deploymentId !== undefined || v.fineTuneId !== undefined, { message: "name the deploymentId or the fineTuneId that answered", path: ["deploymentId"] });

/**
 * Queues an answered inference for attribution, under its deployment's fee split (a version
 * named without a deployment: DEPLOYMENT_FEE_SPLIT). Failed requests are not attributed.
 * Returns false when the deployment or version does not exist (nothing is queued).
 */
export async function recordInferenceForAttribution(db: Db, input: z.input<typeof recordInferenceInput>): Promise<boolean> {
  const { inferenceId, deploymentId, fineTuneId, keyId, output, usage } = recordInferenceInput.parse(input);
  const deployment = deploymentId ? await findDeploymentVersion(db, deploymentId) : null;
  const version = deployment ?? (fineTuneId ? await findModelVersion(db, fineTuneId) : null);
  if (!version) return false;
  await recordAnsweredInferences(db, [
    answeredInferenceRow({
      inferenceId: inferenceId ?? randomUUID(),
      orgId: version.orgId,
      fineTuneId: version.id,
      deploymentId: deploymentId ?? null,
      keyId,
      output,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      feeSplit: deployment ?? env.DEPLOYMENT_FEE_SPLIT,
      inferredAt: new Date(),
    }),
  ]);
  return true;
}

/** An answered call as the gateway holds it: ids it already has, the output, usage and the split in force. */
export interface AnsweredInference {
  /** The completion's id; a second record with the same id is ignored. */
  inferenceId: string;
  orgId: string;
  /** The model version that answered. */
  fineTuneId: string;
  deploymentId: string | null;
  keyId: string | null;
  output: string;
  promptTokens: number;
  completionTokens: number;
  feeSplit: FeeSplit;
  inferredAt: Date;
}

/**
 * An answered inference as the one string its batch keeps until recordAnsweredInferences writes it.
 * Its fields are copied one by one: with object rest and spread here, each call moved ~1 KB into the
 * old generation at 1,000 calls/s (measured with bench:gateway), and major collections followed.
 */
export function answeredInferenceRow(a: AnsweredInference): string {
  const { feeSplit } = a;
  return attributionRowJson({
    inferenceId: a.inferenceId,
    orgId: a.orgId,
    fineTuneId: a.fineTuneId,
    deploymentId: a.deploymentId,
    keyId: a.keyId,
    output: a.output,
    promptTokens: a.promptTokens,
    completionTokens: a.completionTokens,
    platformBps: feeSplit.platformBps,
    ownerBps: feeSplit.ownerBps,
    contributorsBps: feeSplit.contributorsBps,
    inferredAt: a.inferredAt,
  });
}

/** Queues many answered inferences (rows of answeredInferenceRow) in one insert: the gateway calls it with each batch, off the request path. */
export async function recordAnsweredInferences(db: Db, rows: readonly string[]) {
  await enqueueAttributionJson(db, rows);
}

/** A claimed request is handed to another consumer if this one has not finished it by then. */
const CLAIM_SECONDS = 5 * 60;
const RETRY_BASE_SECONDS = 30;
const RETRY_MAX_SECONDS = 60 * 60;
/** Unexpected errors are retried this many times; a request waiting for its index waits as long as it takes. */
const MAX_ATTEMPTS = 8;

/** An inference's whole fee: its tokens × ATTRIBUTION_REWARD_PER_TOKEN, before the split. */
export const inferenceFee = (r: Pick<AttributionRequest, "promptTokens" | "completionTokens">, perToken = env.ATTRIBUTION_REWARD_PER_TOKEN) =>
  BigInt(r.promptTokens + r.completionTokens) * perToken;

async function attributeRequest(db: Db, store: BlobStore, request: AttributionRequest) {
  try {
    const parts = splitFee(inferenceFee(request), request);
    await attributeInference(db, store, {
      modelVersionId: request.fineTuneId,
      inferenceId: request.inferenceId,
      deploymentId: request.deploymentId,
      keyId: request.keyId,
      output: request.output,
      feeAmount: parts.contributors,
      ownerAmount: parts.owner,
      platformAmount: parts.platform,
      minWords: env.ATTRIBUTION_MIN_WORDS,
    });
    await deleteAttributionRequest(db, request.id);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const waitingForIndex = error instanceof AttributionIndexError && error.retryable;
    if ((error instanceof AttributionIndexError && !error.retryable) || (!waitingForIndex && request.attempts >= MAX_ATTEMPTS)) {
      await deferAttributionRequest(db, request.id, { failed: message });
    } else {
      const retryInSeconds = Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.min(request.attempts - 1, 16));
      await deferAttributionRequest(db, request.id, { retryInSeconds, error: message });
    }
    if (!waitingForIndex) console.error(`attribution of inference ${request.inferenceId}:`, message);
    return false;
  }
}

/** Attributes up to `limit` due requests; the services loop calls it. Returns how many were attributed. */
export async function attributeQueuedInferences(db: Db, store: BlobStore, limit = 50): Promise<number> {
  let done = 0;
  for (const request of await claimAttributionRequests(db, limit, CLAIM_SECONDS)) if (await attributeRequest(db, store, request)) done++;
  return done;
}
