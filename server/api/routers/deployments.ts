// Deployments: deploy a model version behind the gateway, list, read, stop, deploy again, set
// its fee split, and the playground of a deployed version.
import { z } from "zod";
import {
  createDeployment,
  deployInput,
  deploymentIdInput,
  deploymentNameInput,
  deploymentsOfModel,
  getDeploymentByName,
  listDeployments,
  redeploy,
  setFeeSplit,
  setFeeSplitInput,
  stopDeployment,
} from "@/server/serving/deployments";
import { gatewayFor } from "@/server/serving/gateway";
import { askGatewayInput, askThroughGateway } from "@/server/serving/playground";
import { orgProcedure, router, type Context } from "../trpc";

const gateway = (ctx: Context) => gatewayFor({ db: ctx.db, store: ctx.blobs });

export const deploymentsRouter = router({
  list: orgProcedure("viewer").query(({ ctx }) => listDeployments(ctx.db, gateway(ctx), ctx)),
  get: orgProcedure("viewer").input(deploymentNameInput).query(({ ctx, input }) => getDeploymentByName(ctx.db, gateway(ctx), ctx, input.name)),
  forModel: orgProcedure("viewer").input(z.object({ modelSlug: z.string().min(1).max(64) })).query(({ ctx, input }) => deploymentsOfModel(ctx.db, ctx, input.modelSlug)),
  deploy: orgProcedure("member")
    .input(deployInput)
    .mutation(async ({ ctx, input }) => {
      const { id, name } = await createDeployment(ctx.db, gateway(ctx), ctx, input);
      return { id, name };
    }),
  redeploy: orgProcedure("member")
    .input(deploymentIdInput)
    .mutation(async ({ ctx, input }) => ({ id: (await redeploy(ctx.db, gateway(ctx), ctx, input.deploymentId)).id })),
  stop: orgProcedure("member")
    .input(deploymentIdInput)
    .mutation(async ({ ctx, input }) => ({ id: (await stopDeployment(ctx.db, gateway(ctx), ctx, input.deploymentId)).id })),
  setFeeSplit: orgProcedure("member").input(setFeeSplitInput).mutation(({ ctx, input }) => setFeeSplit(ctx.db, ctx, input)),
  ask: orgProcedure("member").input(askGatewayInput).mutation(({ ctx, input }) => askThroughGateway(ctx.db, gateway(ctx), ctx, input)),
});
