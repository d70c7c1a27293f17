// ModelFactory: the catalog, the launch wizard's plan and launch, runs, models, playground.
import {
  adapterUrl,
  adapterUrlInput,
  cancelRun,
  catalogWithAvailability,
  eventsInput,
  launchFineTune,
  launchInput,
  modelSlugInput,
  modelsOf,
  modelWithVersions,
  planFineTune,
  planInput,
  requireRun,
  retryRun,
  runEvents,
  runIdInput,
  runsInput,
  runsOf,
  trainableVersions,
} from "@/server/finetune/fine-tunes";
import { answer, answerInput, ask, askInput } from "@/server/finetune/playground";
import { orgProcedure, router } from "../trpc";

export const finetuneRouter = router({
  catalog: orgProcedure("viewer").query(({ ctx }) => catalogWithAvailability(ctx.db, ctx.blobs, ctx)),
  datasets: orgProcedure("viewer").query(({ ctx }) => trainableVersions(ctx.db, ctx)),
  plan: orgProcedure("member").input(planInput).query(({ ctx, input }) => planFineTune(ctx.db, ctx.blobs, ctx, input)),
  launch: orgProcedure("member").input(launchInput).mutation(({ ctx, input }) => launchFineTune(ctx.db, ctx.blobs, ctx, input)),
  runs: orgProcedure("viewer").input(runsInput).query(({ ctx, input }) => runsOf(ctx.db, ctx, input)),
  run: orgProcedure("viewer").input(runIdInput).query(({ ctx, input }) => requireRun(ctx.db, ctx, input.runId)),
  adapterUrl: orgProcedure("viewer").input(adapterUrlInput).mutation(({ ctx, input }) => adapterUrl(ctx.db, ctx.blobs, ctx, input)),
  events: orgProcedure("viewer").input(eventsInput).query(({ ctx, input }) => runEvents(ctx.db, ctx, input)),
  cancel: orgProcedure("member").input(runIdInput).mutation(({ ctx, input }) => cancelRun(ctx.db, { ...ctx, userEmail: ctx.user.email ?? ctx.user.id }, input)),
  retry: orgProcedure("member").input(runIdInput).mutation(({ ctx, input }) => retryRun(ctx.db, { ...ctx, userEmail: ctx.user.email ?? ctx.user.id }, input)),
  models: orgProcedure("viewer").query(({ ctx }) => modelsOf(ctx.db, ctx)),
  model: orgProcedure("viewer").input(modelSlugInput).query(({ ctx, input }) => modelWithVersions(ctx.db, ctx, input)),
  ask: orgProcedure("member").input(askInput).mutation(({ ctx, input }) => ask(ctx.db, ctx, input)),
  answer: orgProcedure("viewer").input(answerInput).query(({ ctx, input }) => answer(ctx.db, ctx, input)),
});
