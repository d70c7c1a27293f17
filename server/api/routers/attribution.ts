// Attribution: what a wallet can claim from committed epochs (any signed-in user may ask for any
// wallet: amounts become public on chain as they are claimed, and a proof pays only its wallet).
import { claimable, claimableInput } from "@/server/attribution/claims";
import { protectedProcedure, router } from "../trpc";

export const attributionRouter = router({
  claimable: protectedProcedure.input(claimableInput).query(({ ctx, input }) => claimable(ctx.db, input)),
});
