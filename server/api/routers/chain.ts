// The chain: the commit pipeline's health for banners and dashboards, and a Datanet's commits.
import { chainStatus, datanetCommits, retryVersionCommit, retryVersionCommitInput } from "@/server/chain/status";
import { datanetSlugInput } from "@/server/datanets/datanets";
import { orgProcedure, protectedProcedure, router } from "../trpc";

export const chainRouter = router({
  status: protectedProcedure.query(({ ctx }) => chainStatus(ctx.db, ctx.chain)),
  datanetCommits: orgProcedure("viewer").input(datanetSlugInput).query(({ ctx, input }) => datanetCommits(ctx.db, ctx, ctx.chain, input)),
  retryVersionCommit: orgProcedure("admin").input(retryVersionCommitInput).mutation(({ ctx, input }) => retryVersionCommit(ctx.db, ctx, ctx.chain, input)),
});
