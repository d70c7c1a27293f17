// The app's tRPC router: one sub-router per product area.
import { accountRouter } from "./routers/account";
import { invitesRouter } from "./routers/invites";
import { orgsRouter } from "./routers/orgs";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  account: accountRouter,
  orgs: orgsRouter,
  invites: invitesRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
