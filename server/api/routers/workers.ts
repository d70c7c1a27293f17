// Workers: the org's worker tokens (created, shown once, revoked) and the workers online.
import { z } from "zod";
import { createWorkerToken, listWorkers, listWorkerTokens, revokeWorkerToken } from "@/server/jobs/workers";
import { TRPCError } from "@trpc/server";
import { orgProcedure, router } from "../trpc";

export const workersRouter = router({
  list: orgProcedure("viewer").query(({ ctx }) => listWorkers(ctx.db, ctx.org.id)),
  tokens: orgProcedure("admin").query(({ ctx }) => listWorkerTokens(ctx.db, ctx.org.id)),
  createToken: orgProcedure("admin")
    .input(z.object({ name: z.string().trim().min(1, "Name the token after the machine or pool that will use it.").max(60) }))
    .mutation(({ ctx, input }) => createWorkerToken(ctx.db, { orgId: ctx.org.id, name: input.name, createdBy: ctx.userId })),
  revokeToken: orgProcedure("admin")
    .input(z.object({ tokenId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      if (!(await revokeWorkerToken(ctx.db, ctx.org.id, input.tokenId))) throw new TRPCError({ code: "NOT_FOUND", message: "No such token, or it was already revoked." });
    }),
});
