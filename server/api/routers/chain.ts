// The chain: the commit pipeline's health for banners and dashboards, a Datanet's commits and a
// model's (registrations, epochs), and their retry once what made them fail is fixed.
import { modelCommits, modelCommitsInput, retryModelCommit, retryModelCommitInput } from "@/server/chain/model-commits";
import { chainStatus, datanetCommits, retryVersionCommit, retryVersionCommitInput } from "@/server/chain/status";
import { datanetSlugInput } from "@/server/datanets/datanets";
import { orgProcedure, protectedProcedure, router } from "../trpc";

export const chainRouter = router({
  status: protectedProcedure.query(({ ctx }) => chainStatus(ctx.db, ctx.chain)),
  datanetCommits: orgProcedure("viewer").input(datanetSlugInput).query(({ ctx, input }) => datanetCommits(ctx.db, ctx, ctx.chain, input)),
  retryVersionCommit: orgProcedure("admin").input(retryVersionCommitInput).mutation(({ ctx, input }) => retryVersionCommit(ctx.db, ctx, ctx.chain, input)),
  modelCommits: orgProcedure("viewer").input(modelCommitsInput).query(({ ctx, input }) => modelCommits(ctx.db, ctx, ctx.chain, input)),
  retryModelCommit: orgProcedure("admin").input(retryModelCommitInput).mutation(({ ctx, input }) => retryModelCommit(ctx.db, ctx, ctx.chain, input)),
});
