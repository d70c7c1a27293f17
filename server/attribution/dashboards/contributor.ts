// "My earnings": what the signed-in contributor's records earned, by their user id and linked
// wallet, across every organization whose models trained on them: per epoch, per model and per
// Datanet in the window; per model epoch whether the chain has its commit, and what they claimed
// (from the indexer). A model of an org they do not belong to is shown without its name.
import "server-only";
import { getAddress, type Hex } from "viem";
import { z } from "zod";
import { bytes32ToUuid, uuidToBytes32 } from "@/server/chain/calls";
import type { ChainConfig } from "@/server/chain/config";
import type { Db } from "@/server/db/connect";
import {
  contributorEarnedWithoutWallet,
  contributorEarningsByEpoch,
  contributorEarningsByModel,
  memberOrgIds,
  modelsOrVersions,
  walletEpochAmounts,
} from "@/server/db/queries/attribution-dashboards";
import { contributorEarningsByDatanet } from "@/server/db/queries/attribution-datanets";
import { indexedClaimByTx, indexedClaims, indexedEpochsOf } from "@/server/db/queries/chain-index";
import { onChain } from "./chain";
import { epochWindow, sumOf, windowInput, type WindowInput } from "./window";

interface User {
  id: string;
  walletAddress: string | null;
}

/** Names of the models and versions that chain model ids stand for, as far as the viewer may see them. */
async function modelNames(db: Db, chainModelIds: readonly string[], visibleOrgIds: ReadonlySet<string>) {
  const byUuid = new Map((await modelsOrVersions(db, chainModelIds.map(bytes32ToUuid).filter((id): id is string => id !== null))).map((m) => [m.id, m]));
  return (chainModelId: string) => {
    const found = byUuid.get(bytes32ToUuid(chainModelId) ?? "");
    if (!found || !visibleOrgIds.has(found.orgId)) return { name: null, slug: null, orgSlug: null, versionNumber: null };
    return { name: found.name, slug: found.slug, orgSlug: found.orgSlug, versionNumber: found.versionNumber };
  };
}

/**
 * The wallet's amount per model epoch, joined with the epoch's commit where the indexer has one
 * (under the model's id or the version's). Uncommitted amounts are summed per model and epoch.
 */
export async function walletEpochs(db: Db, chain: ChainConfig, wallet: string) {
  const amounts = await walletEpochAmounts(db, wallet);
  const ids = [...new Set(amounts.flatMap((a) => [uuidToBytes32(a.modelId), uuidToBytes32(a.fineTuneId)]))];
  const commits = await indexedEpochsOf(db, chain.chainId, ids);
  const committed = new Map(commits.map((c) => [`${c.modelId}/${c.epoch}`, c]));
  const rows = new Map<string, { chainModelId: Hex | null; modelId: string; epoch: number; amount: bigint; commit: (typeof commits)[number] | null }>();
  for (const a of amounts) {
    const asModel = committed.get(`${uuidToBytes32(a.modelId)}/${a.epoch}`);
    const asVersion = committed.get(`${uuidToBytes32(a.fineTuneId)}/${a.epoch}`);
    const commit = asVersion ?? asModel ?? null;
    const key = commit ? `${commit.modelId}/${a.epoch}` : `${a.modelId}/${a.epoch}/uncommitted`;
    const row = rows.get(key) ?? { chainModelId: (commit?.modelId as Hex | undefined) ?? null, modelId: a.modelId, epoch: a.epoch, amount: 0n, commit };
    row.amount += BigInt(a.amount);
    rows.set(key, row);
  }
  return [...rows.values()].sort((x, y) => y.epoch - x.epoch || x.modelId.localeCompare(y.modelId));
}

export { windowInput };

export async function contributorEarnings(db: Db, chain: ChainConfig | null, user: User, input: WindowInput) {
  const { days } = windowInput.parse(input);
  const window = epochWindow(days);
  const since = window.sinceEpoch;
  const me = { userId: user.id, wallet: user.walletAddress };
  const wallet = user.walletAddress ? getAddress(user.walletAddress) : null;
  const [byEpoch, byModel, byDatanet, withoutWallet, epochs, claims] = await Promise.all([
    contributorEarningsByEpoch(db, me, since),
    contributorEarningsByModel(db, me, since),
    contributorEarningsByDatanet(db, me, since),
    contributorEarnedWithoutWallet(db, user.id, since),
    wallet && chain ? walletEpochs(db, chain, wallet) : Promise.resolve([]),
    wallet && chain ? indexedClaims(db, chain.chainId, wallet) : Promise.resolve([]),
  ]);
  // Models are named only to members of their org; the contributor sees their own amounts either way.
  const nameOf = await modelNames(db, [...epochs.map((e) => e.chainModelId ?? uuidToBytes32(e.modelId)), ...claims.map((c) => c.modelId)], new Set(await memberOrgIds(db, user.id)));
  const claimedOf = new Map(claims.map((c) => [`${c.modelId}/${c.epoch}`, c]));
  const claimedByEpoch = new Map<number, bigint>();
  for (const c of claims) claimedByEpoch.set(Number(c.epoch), (claimedByEpoch.get(Number(c.epoch)) ?? 0n) + BigInt(c.amount));

  return {
    wallet,
    ...window,
    chainConfigured: chain !== null,
    totals: {
      earned: sumOf(byEpoch.map((e) => e.amount)),
      withoutWallet,
      committed: epochs.filter((e) => e.commit).reduce((t, e) => t + e.amount, 0n).toString(),
      claimed: sumOf(claims.map((c) => c.amount)),
      inferences: byEpoch.reduce((t, e) => t + e.inferences, 0),
    },
    byEpoch: byEpoch.map((e) => ({ ...e, claimed: (claimedByEpoch.get(e.epoch) ?? 0n).toString() })),
    byModel: byModel.map((m) => ({ modelId: m.modelId, amount: m.amount, inferences: m.inferences, ...(m.member ? { name: m.name, slug: m.slug, orgSlug: m.orgSlug } : { name: null, slug: null, orgSlug: null }) })),
    byDatanet: byDatanet.map((d) => ({ datanetId: d.datanetId, amount: d.amount, name: d.name, slug: d.member ? d.slug : null, orgSlug: d.member ? d.orgSlug : null })),
    epochs: epochs.map((e) => {
      const claim = e.chainModelId ? claimedOf.get(`${e.chainModelId}/${e.epoch}`) : undefined;
      return {
        chainModelId: e.chainModelId,
        modelId: e.modelId,
        model: nameOf(e.chainModelId ?? uuidToBytes32(e.modelId)),
        epoch: e.epoch,
        amount: e.amount.toString(),
        commit: e.commit && { total: e.commit.total, funded: e.commit.funded, token: e.commit.token, ...onChain(e.commit) },
        claim: claim ? { amount: claim.amount, ...onChain(claim) } : null,
      };
    }),
    claims: claims.map((c) => ({ chainModelId: c.modelId, model: nameOf(c.modelId), epoch: Number(c.epoch), amount: c.amount, token: c.token, ...onChain(c) })),
  };
}

export const claimStatusInput = z.object({ txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte transaction hash") });

/** Whether the indexer has read the claim a transaction made (null: not yet, or no chain). */
export async function claimIndexed(db: Db, chain: ChainConfig | null, input: z.infer<typeof claimStatusInput>) {
  if (!chain) return null;
  const claim = await indexedClaimByTx(db, chain.chainId, input.txHash);
  return claim && { chainModelId: claim.modelId, epoch: Number(claim.epoch), contributor: claim.contributor, amount: claim.amount, blockNumber: claim.blockNumber.toString() };
}
