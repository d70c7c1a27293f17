// API keys: admins create (the secret is returned this once), list and revoke the org's keys;
// everyone in the org sees the keys (by prefix) and the usage chart.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "@/server/serving/api-keys";
import { usageSeries } from "@/server/serving/usage";
import { orgProcedure, router } from "../trpc";

const perMinute = (what: string) =>
  z.number().int(`${what} must be a whole number.`).min(1, `${what} must be at least 1, or leave it empty for no limit.`).max(10_000_000).nullable();

const createInput = z.object({
  name: z.string().trim().min(1, "Name the key after the app or environment that will use it.").max(60),
  /** null: every deployment of the org, including later ones. */
  deploymentIds: z.array(z.uuid()).min(1, "Pick at least one deployment, or allow all of them.").max(100).nullable(),
  expiresAt: z.date().nullable(),
  requestsPerMinute: perMinute("Requests per minute"),
  tokensPerMinute: perMinute("Tokens per minute"),
});

const usageInput = z.object({
  days: z.union([z.literal(7), z.literal(30), z.literal(90)]),
  keyId: z.uuid().optional(),
  deploymentId: z.uuid().optional(),
});

export const apiKeysRouter = router({
  list: orgProcedure("viewer").query(({ ctx }) => listApiKeys(ctx.db, ctx.org.id)),
  usage: orgProcedure("viewer").input(usageInput).query(({ ctx, input }) => usageSeries(ctx.db, ctx.org.id, input)),
  create: orgProcedure("admin")
    .input(createInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.db, { ...input, orgId: ctx.org.id, createdBy: ctx.userId })),
  revoke: orgProcedure("admin")
    .input(z.object({ keyId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await revokeApiKey(ctx.db, ctx.org.id, input.keyId);
      if (!revoked) throw new TRPCError({ code: "NOT_FOUND", message: "No such key, or it was already revoked." });
      return revoked;
    }),
});
