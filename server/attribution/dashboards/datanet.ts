// A Datanet's attribution tab: its versions with the commit the indexer read for each (and the
// Datanet's registration), what its records earned per epoch, its contributors by earnings, and
// the models whose answers drew on it (named only to members of the model's org).
import "server-only";
import type { z } from "zod";
import { uuidToBytes32 } from "@/server/chain/calls";
import type { ChainConfig } from "@/server/chain/config";
import { requireDatanet, datanetSlugInput } from "@/server/datanets/datanets";
import type { Db } from "@/server/db/connect";
import { datanetContributorEarnings, datanetEarningsByEpoch, datanetEarningsByModel } from "@/server/db/queries/attribution-datanets";
import { indexedDatanet, indexedVersionCommits } from "@/server/db/queries/chain-index";
import { listVersions } from "@/server/db/queries/versions";
import type { OrgContext } from "@/server/orgs/orgs";
import { onChain } from "./chain";
import { contributorLabel, epochWindow, sumOf, windowInput } from "./window";

const CONTRIBUTORS_LISTED = 25;

export const datanetAttributionInput = windowInput.extend(datanetSlugInput.shape);

export async function datanetAttribution(db: Db, chain: ChainConfig | null, ctx: OrgContext, input: z.input<typeof datanetAttributionInput>) {
  const { days, datanetSlug } = datanetAttributionInput.parse(input);
  const datanet = await requireDatanet(db, ctx, datanetSlug);
  const window = epochWindow(days);
  const since = window.sinceEpoch;
  const chainId = uuidToBytes32(datanet.id);
  const [versions, registration, commits, byEpoch, contributors, byModel] = await Promise.all([
    listVersions(db, datanet.id),
    chain ? indexedDatanet(db, chain.chainId, chainId) : Promise.resolve(null),
    chain ? indexedVersionCommits(db, chain.chainId, chainId) : Promise.resolve([]),
    datanetEarningsByEpoch(db, datanet.id, since),
    datanetContributorEarnings(db, datanet.id, since, CONTRIBUTORS_LISTED),
    datanetEarningsByModel(db, datanet.id, since, ctx.userId),
  ]);
  const commitOf = new Map(commits.map((c) => [c.version, c]));

  return {
    datanet: { id: datanet.id, name: datanet.name, chainId },
    ...window,
    chainConfigured: chain !== null,
    registration: registration && { owner: registration.owner, ...onChain(registration) },
    versions: versions.map((v) => {
      const commit = commitOf.get(v.number);
      return {
        number: v.number,
        createdAt: v.createdAt,
        merkleRoot: v.merkleRoot,
        recordCount: v.recordCount,
        contributorCount: v.contributorCount,
        commit: commit ? { recordsRoot: commit.recordsRoot, rootMatches: commit.recordsRoot.toLowerCase() === v.merkleRoot.toLowerCase(), ...onChain(commit) } : null,
      };
    }),
    totals: {
      earned: sumOf(byEpoch.map((e) => e.amount)),
      unsplit: sumOf(byEpoch.map((e) => e.unsplit)),
      inferences: byEpoch.reduce((t, e) => t + e.inferences, 0),
    },
    byEpoch,
    contributors: contributors.map((c) => ({ label: contributorLabel(c), wallet: c.wallet, amount: c.amount, inferences: c.inferences })),
    byModel: byModel.map((m) => ({ modelId: m.modelId, amount: m.amount, inferences: m.inferences, ...(m.member ? { name: m.name, slug: m.slug, orgSlug: m.orgSlug } : { name: null, slug: null, orgSlug: null }) })),
  };
}
