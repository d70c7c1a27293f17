// The signed-in user's own account: profile, email login, password, linked wallet.
import { z } from "zod";
import {
  addEmailLogin,
  changePassword,
  changePasswordInput,
  linkWallet,
  nameSchema,
  setEmailInput,
  signUp,
  signUpInput,
  unlinkWallet,
} from "@/server/auth/accounts";
import { createSiweChallenge, siweChallengeInput, siweSignedInput } from "@/server/auth/siwe";
import { hasPassword, updateUser } from "@/server/db/queries/users";
import { protectedProcedure, publicProcedure, router, type Context } from "../trpc";

const siwe = (ctx: Context) => ({ appUrl: ctx.appUrl, chainIds: ctx.siweChainIds });

export const accountRouter = router({
  signUp: publicProcedure.input(signUpInput).mutation(async ({ ctx, input }) => {
    const { personalOrgSlug } = await signUp(ctx.db, input);
    return { personalOrgSlug };
  }),
  siweChallenge: publicProcedure.input(siweChallengeInput).mutation(({ ctx, input }) => createSiweChallenge(ctx.db, siwe(ctx), input, ctx.clientAddress)),
  me: protectedProcedure.query(async ({ ctx }) => ({ ...ctx.user, hasPassword: await hasPassword(ctx.db, ctx.userId) })),
  updateProfile: protectedProcedure
    .input(z.object({ name: nameSchema }))
    .mutation(({ ctx, input }) => updateUser(ctx.db, ctx.userId, input)),
  addEmailLogin: protectedProcedure.input(setEmailInput).mutation(({ ctx, input }) => addEmailLogin(ctx.db, ctx.userId, input)),
  changePassword: protectedProcedure.input(changePasswordInput).mutation(({ ctx, input }) => changePassword(ctx.db, ctx.userId, input)),
  linkWallet: protectedProcedure.input(siweSignedInput).mutation(({ ctx, input }) => linkWallet(ctx.db, siwe(ctx), ctx.userId, input)),
  unlinkWallet: protectedProcedure.mutation(({ ctx }) => unlinkWallet(ctx.db, ctx.userId)),
});
