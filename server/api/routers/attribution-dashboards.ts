// The attribution dashboards: the chain as they show it (indexer progress, explorer), a
// contributor's own earnings and claims, an org's models, one model, one Datanet and one
// inference. Reads only: what the indexer wrote, and the off-chain attributions its commits hold.
import { attributionChainInfo } from "@/server/attribution/dashboards/chain";
import { claimIndexed, claimStatusInput, contributorEarnings } from "@/server/attribution/dashboards/contributor";
import { datanetAttribution, datanetAttributionInput } from "@/server/attribution/dashboards/datanet";
import { inferenceAttribution, inferenceAttributionInput } from "@/server/attribution/dashboards/inference";
import { modelAttribution, modelAttributionInput, orgModels } from "@/server/attribution/dashboards/model";
import { windowInput } from "@/server/attribution/dashboards/window";
import { orgProcedure, protectedProcedure, router } from "../trpc";

export const attributionDashboardsRouter = router({
  chainInfo: protectedProcedure.query(({ ctx }) => attributionChainInfo(ctx.db, ctx.chain)),
  myEarnings: protectedProcedure.input(windowInput).query(({ ctx, input }) => contributorEarnings(ctx.db, ctx.chain, ctx.user, input)),
  /** Replaced by `attribution.claimable` at merge (components/attribution/use-claimable.ts). */
  claimStatus: protectedProcedure.input(claimStatusInput).query(({ ctx, input }) => claimIndexed(ctx.db, ctx.chain, input)),
  orgModels: orgProcedure("viewer").input(windowInput).query(({ ctx, input }) => orgModels(ctx.db, ctx, input)),
  model: orgProcedure("viewer").input(modelAttributionInput).query(({ ctx, input }) => modelAttribution(ctx.db, ctx.chain, ctx, input)),
  datanet: orgProcedure("viewer").input(datanetAttributionInput).query(({ ctx, input }) => datanetAttribution(ctx.db, ctx.chain, ctx, input)),
  inference: orgProcedure("viewer").input(inferenceAttributionInput).query(({ ctx, input }) => inferenceAttribution(ctx.db, ctx.chain, ctx, input)),
});
