// A model's calls in the chain outbox, for its attribution page: each version's registration and
// each rolled-up epoch's commit and funding, as queued, sent, confirmed or failed with the reason
// in words; and the owner's Retry of a failed one, which sends the same rows again under the same
// idempotency keys (nothing new is queued, so nothing is committed twice).
import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { failedRowsAround, findEpochModel, findOutboxRow, findOutboxRows, modelEpochCommits, modelRegistrationCommits, requeueFailedRows } from "@/server/db/queries/chain";
import { findModel, findModelVersion } from "@/server/db/queries/finetune";
import type { OrgContext } from "@/server/orgs/orgs";
import type { ChainConfig } from "./config";
import { MODEL_REGISTRATION_KEY_PREFIX, modelRegistrationKey } from "./model-registrations";

/** As many epochs as the model page lists. */
const EPOCHS_LISTED = 60;

export const modelCommitsInput = z.object({ modelSlug: z.string().min(1).max(64) });

async function requireModel(db: Db, ctx: OrgContext, modelSlug: string) {
  const model = await findModel(db, ctx.org.id, modelSlug);
  if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${modelSlug}” in this organization.` });
  return model;
}

export async function modelCommits(db: Db, ctx: OrgContext, chain: ChainConfig | null, input: z.infer<typeof modelCommitsInput>) {
  const model = await requireModel(db, ctx, input.modelSlug);
  if (!chain) return { registrations: [], epochs: [] };
  const [registrations, epochs] = await Promise.all([
    modelRegistrationCommits(db, chain.chainId, ctx.org.id, model.id, MODEL_REGISTRATION_KEY_PREFIX),
    modelEpochCommits(db, chain.chainId, ctx.org.id, model.id, EPOCHS_LISTED),
  ]);
  return { registrations, epochs };
}

export const retryModelCommitInput = modelCommitsInput.extend({
  version: z.number().int().positive(),
  /** The epoch whose commit (or funding) to retry; null: the version's registration. */
  epoch: z.number().int().nonnegative().nullable(),
});

/**
 * A failed registration or epoch commit goes back to the queue, with the failed calls it waits on
 * (its registration, the Datanet versions' commits) and those that wait on it (the epochs behind
 * a registration, the funding behind a commit), so they are sent again in their order.
 */
export async function retryModelCommit(db: Db, ctx: OrgContext, chain: ChainConfig | null, input: z.infer<typeof retryModelCommitInput>) {
  const model = await requireModel(db, ctx, input.modelSlug);
  const version = await findModelVersion(db, ctx.org.id, model.id, input.version);
  if (!version) throw new TRPCError({ code: "NOT_FOUND", message: `${model.name} has no version ${input.version}.` });
  if (!chain) throw new TRPCError({ code: "NOT_FOUND", message: "No chain is set up on this server: nothing is committed, so there is nothing to retry." });
  const subject = input.epoch === null ? `The registration of ${model.name} v${input.version}` : `The commit of epoch ${input.epoch} of ${model.name} v${input.version}`;
  const rows = input.epoch === null ? [await findOutboxRow(db, chain.chainId, modelRegistrationKey(version.id))] : await epochRows(db, ctx, chain, version.id, input.epoch);
  const queued = rows.filter((r) => r !== null);
  if (queued.length === 0) throw new TRPCError({ code: "NOT_FOUND", message: `${subject} was never queued for the chain, so there is nothing to retry.` });
  // The commit, else its funding: the first that failed (a funding fails only behind its commit or on its own).
  const target = queued.find((r) => r.status === "failed") ?? queued[0]!;
  const ids = await failedRowsAround(db, target.id);
  if (ids.length === 0) throw new TRPCError({ code: "BAD_REQUEST", message: `${subject} is ${target.status}, and nothing it waits on failed: there is nothing to retry.` });
  await requeueFailedRows(db, ids);
  return { status: "pending" as const, requeued: ids.length };
}

/** The outbox rows of a rolled-up epoch of a version: its commit, then its funding when there is one. */
async function epochRows(db: Db, ctx: OrgContext, chain: ChainConfig, fineTuneId: string, epoch: number) {
  const rolled = await findEpochModel(db, ctx.org.id, fineTuneId, epoch);
  if (!rolled?.commitKey || rolled.chainId !== chain.chainId) return [];
  const rows = await findOutboxRows(db, chain.chainId, [rolled.commitKey, ...(rolled.fundKey ? [rolled.fundKey] : [])]);
  return [rolled.commitKey, rolled.fundKey].map((key) => rows.find((r) => r.idempotencyKey === key) ?? null);
}
