// A model's attribution page and the org's models overview: invocations per epoch, the top
// contributors and their shares over time, recent inferences, and each epoch's commit as the
// indexer read it (its transaction and block, funded and claimed), beside the epochs that wait
// for one.
import "server-only";
import { TRPCError } from "@trpc/server";
import { and, asc, eq, isNotNull } from "drizzle-orm";
import { z } from "zod";
import { bytes32ToUuid } from "@/server/chain/calls";
import type { ChainConfig } from "@/server/chain/config";
import type { Db } from "@/server/db/connect";
import {
  modelEpochTotals,
  modelInvocationsByEpoch,
  modelRecentInferences,
  modelSharesByEpoch,
  modelTopContributors,
  orgModelsAttribution,
} from "@/server/db/queries/attribution-dashboards";
import { indexedEpochsOf, indexedModelsOf } from "@/server/db/queries/chain-index";
import { findModel } from "@/server/db/queries/finetune";
import { fineTunes } from "@/server/db/schema";
import type { OrgContext } from "@/server/orgs/orgs";
import { chainModelIds, onChain } from "./chain";
import { contributorLabel, epochWindow, sinceEpoch, sumOf, windowInput, type WindowInput } from "./window";

const TOP_CONTRIBUTORS = 10;
/** Contributors drawn as their own line in "shares over time"; the rest are summed. */
const CHARTED_CONTRIBUTORS = 5;
const RECENT_INFERENCES = 20;
const EPOCHS_LISTED = 60;

export const modelAttributionInput = windowInput.extend({ modelSlug: z.string().min(1).max(64) });

export async function orgModels(db: Db, ctx: OrgContext, input: WindowInput) {
  const { days } = windowInput.parse(input);
  return { days, models: await orgModelsAttribution(db, ctx.org.id, sinceEpoch(days)) };
}

async function modelVersions(db: Db, orgId: string, modelId: string) {
  return db
    .select({ id: fineTunes.id, versionNumber: fineTunes.versionNumber })
    .from(fineTunes)
    .where(and(eq(fineTunes.orgId, orgId), eq(fineTunes.modelId, modelId), isNotNull(fineTunes.versionNumber)))
    .orderBy(asc(fineTunes.versionNumber));
}

export async function modelAttribution(db: Db, chain: ChainConfig | null, ctx: OrgContext, input: z.input<typeof modelAttributionInput>) {
  const { days, modelSlug } = modelAttributionInput.parse(input);
  const model = await findModel(db, ctx.org.id, modelSlug);
  if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${modelSlug}” in this organization.` });
  const window = epochWindow(days);
  const since = window.sinceEpoch;
  const versions = await modelVersions(db, ctx.org.id, model.id);
  const ids = chainModelIds(model.id, versions.map((v) => v.id));
  const [invocations, top, epochTotals, recent, registrations, commits] = await Promise.all([
    modelInvocationsByEpoch(db, ctx.org.id, model.id, since),
    modelTopContributors(db, ctx.org.id, model.id, since, TOP_CONTRIBUTORS),
    modelEpochTotals(db, ctx.org.id, model.id, EPOCHS_LISTED),
    modelRecentInferences(db, ctx.org.id, model.id, RECENT_INFERENCES),
    chain ? indexedModelsOf(db, chain.chainId, ids) : Promise.resolve([]),
    chain ? indexedEpochsOf(db, chain.chainId, ids) : Promise.resolve([]),
  ]);
  const charted = top.slice(0, CHARTED_CONTRIBUTORS);
  const shares = await modelSharesByEpoch(db, ctx.org.id, model.id, since, charted.map((c) => c.contributorKey));
  const versionOf = new Map(versions.map((v) => [v.id, v.versionNumber]));
  /** Which version (null: the model as a whole) a chain model id names. */
  const chainSubject = (chainModelId: string) => versionOf.get(bytes32ToUuid(chainModelId) ?? "") ?? null;
  const fee = sumOf(invocations.map((i) => i.fee));

  return {
    model: { id: model.id, name: model.name, slug: model.slug, baseModel: model.baseModel },
    ...window,
    chainConfigured: chain !== null,
    totals: { inferences: invocations.reduce((t, i) => t + i.inferences, 0), fee },
    invocations,
    topContributors: top.map((c) => ({ contributorKey: c.contributorKey, label: contributorLabel(c), wallet: c.wallet, amount: c.amount, inferences: c.inferences })),
    sharesOverTime: {
      contributors: charted.map((c) => ({ contributorKey: c.contributorKey, label: contributorLabel(c) })),
      points: shares,
    },
    registrations: registrations.map((r) => ({ versionNumber: chainSubject(r.modelId), owner: r.owner, ...onChain(r) })),
    epochs: epochTotals.map((e) => ({
      epoch: e.epoch,
      inferences: e.inferences,
      fee: e.fee,
      open: e.epoch >= window.currentEpoch,
      commits: commits
        .filter((c) => Number(c.epoch) === e.epoch && (c.modelId === ids[0] || e.fineTuneIds.includes(bytes32ToUuid(c.modelId) ?? "")))
        .map((c) => ({ versionNumber: chainSubject(c.modelId), root: c.root, token: c.token, total: c.total, funded: c.funded, claimed: c.claimed, claims: c.claims, ...onChain(c) })),
    })),
    recentInferences: recent,
  };
}
