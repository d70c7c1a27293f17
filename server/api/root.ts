// The app's tRPC router: one sub-router per product area.
import { accountRouter } from "./routers/account";
import { apiKeysRouter } from "./routers/api-keys";
import { attributionDashboardsRouter } from "./routers/attribution-dashboards";
import { attributionRouter } from "./routers/attribution";
import { chainRouter } from "./routers/chain";
import { datanetsRouter } from "./routers/datanets";
import { deploymentsRouter } from "./routers/deployments";
import { finetuneRouter } from "./routers/finetune";
import { invitesRouter } from "./routers/invites";
import { orgsRouter } from "./routers/orgs";
import { workersRouter } from "./routers/workers";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  account: accountRouter,
  orgs: orgsRouter,
  invites: invitesRouter,
  datanets: datanetsRouter,
  finetune: finetuneRouter,
  workers: workersRouter,
  deployments: deploymentsRouter,
  apiKeys: apiKeysRouter,
  chain: chainRouter,
  attributionDashboards: attributionDashboardsRouter,
  attribution: attributionRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
