// One inference's attribution, as stored: the output itself is not kept (only its sha256), so the
// page shows each matched span as stored (its offsets in the output, its normalized words, the
// records it matched with their Datanets and weights), every contributor's weight, share and
// amount, and the commit of the inference's epoch as the indexer read it. Someone who holds the
// output can paste it on the page: the browser checks its sha256 and highlights the spans in it.
import "server-only";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { ChainConfig } from "@/server/chain/config";
import type { Db } from "@/server/db/connect";
import { attributionShares, findOrgInference, recordDatanets } from "@/server/db/queries/attribution-dashboards";
import { indexedEpochsOf } from "@/server/db/queries/chain-index";
import type { OrgContext } from "@/server/orgs/orgs";
import { EPOCH_SECONDS, epochOf } from "../epochs";
import type { WeightedSpan } from "../shares";
import { chainModelIds, onChain } from "./chain";
import { contributorLabel } from "./window";

export const inferenceAttributionInput = z.object({ inferenceId: z.string().min(1).max(200) });

export async function inferenceAttribution(db: Db, chain: ChainConfig | null, ctx: OrgContext, input: z.infer<typeof inferenceAttributionInput>) {
  const row = await findOrgInference(db, ctx.org.id, input.inferenceId);
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `No attributed inference “${input.inferenceId}” in this organization. It may still be waiting in the attribution queue: try again in a minute.` });
  const spans = row.spans as WeightedSpan[];
  const [shares, datanets, commits] = await Promise.all([
    attributionShares(db, row.id),
    recordDatanets(db, [...new Set(spans.flatMap((s) => s.records.map((r) => r.id)))]),
    chain ? indexedEpochsOf(db, chain.chainId, chainModelIds(row.modelId, [row.fineTuneId])) : Promise.resolve([]),
  ]);
  const datanetOf = new Map(datanets.map((d) => [d.recordId, d]));
  const labelOf = new Map(shares.map((s) => [s.contributorKey, contributorLabel(s)]));

  return {
    inference: {
      inferenceId: row.inferenceId,
      createdAt: row.createdAt,
      epoch: row.epoch,
      epochEnded: row.epoch < epochOf(new Date()),
      epochSeconds: EPOCH_SECONDS,
      method: row.method,
      fee: row.fee,
      minWords: row.minWords,
      indexHash: row.indexHash,
      outputSha256: row.outputSha256,
      model: { name: row.modelName, slug: row.modelSlug, versionNumber: row.versionNumber },
      deploymentName: row.deploymentName,
    },
    spans: spans.map((s) => ({
      start: s.start,
      end: s.end,
      words: s.words,
      text: s.text,
      bytes: s.bytes,
      df: s.df,
      weight: s.weight,
      records: s.records.map((r) => {
        const datanet = datanetOf.get(r.id);
        const contributorKey = `${r.contributorId ?? ""}|${r.contributorWallet ?? ""}`;
        return {
          id: r.id,
          contentHash: r.contentHash,
          weight: r.weight,
          contributor: labelOf.get(contributorKey) ?? r.contributorWallet ?? "Unknown contributor",
          // Another org's Datanet is named, not linked: its pages are its members'.
          datanet: datanet ? { name: datanet.name, href: datanet.orgId === ctx.org.id ? `/${datanet.orgSlug}/datanets/${datanet.slug}` : null } : null,
        };
      }),
    })),
    contributors: shares.map((s) => ({ label: contributorLabel(s), wallet: s.wallet, weight: s.weight, share: s.share, amount: s.amount })),
    commits: commits.filter((c) => Number(c.epoch) === row.epoch).map((c) => ({ root: c.root, total: c.total, ...onChain(c) })),
  };
}
