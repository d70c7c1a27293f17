// Context and every procedure tier. Routers use these and never re-implement auth:
// public, protected (a signed-in user that still exists), and org(minRole), which
// takes `orgSlug` as input and puts the org and the caller's role in the context.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { ChainConfig } from "@/server/chain/config";
import type { Db } from "@/server/db/connect";
import { findMembershipBySlug } from "@/server/db/queries/orgs";
import { findUserById } from "@/server/db/queries/users";
import type { Mailer } from "@/server/mail";
import type { BlobStore } from "@/server/storage/types";
import type { OrgRole } from "@/server/db/schema";
import { hasRole } from "@/server/orgs/roles";

export interface Context {
  db: Db;
  /** The signed-in user's id from the session, or null. */
  userId: string | null;
  /** Client address for rate limits; null when no proxy reports it. */
  clientAddress: string | null;
  appUrl: string;
  siweChainIds: readonly number[];
  mailer: Mailer | null;
  blobs: BlobStore;
  /** Where commits go (settings or the local dev chain); null: no chain, nothing is committed. */
  chain: ChainConfig | null;
}

export interface Meta {
  tier: "public" | "protected" | "org";
  minRole?: OrgRole;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const fieldErrors: Record<string, string[] | undefined> | null =
        error.cause instanceof ZodError ? z.flattenError(error.cause).fieldErrors : null;
      // Input errors read as one sentence naming the field, not a JSON dump of issues.
      const message =
        error.cause instanceof ZodError
          ? error.cause.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join(" ")
          : error.code === "INTERNAL_SERVER_ERROR"
            ? "Something went wrong on our side. Try again; if it keeps happening, check the server log."
            : shape.message;
      return { ...shape, message, data: { ...shape.data, fieldErrors, stack: undefined } };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.meta({ tier: "public" });

export const protectedProcedure = t.procedure.meta({ tier: "protected" }).use(async ({ ctx, next }) => {
  const user = ctx.userId ? await findUserById(ctx.db, ctx.userId) : null;
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { ...ctx, userId: user.id, user } });
});

export const orgSlugInput = z.object({ orgSlug: z.string().min(1).max(64) });

/** Members of the org named by `input.orgSlug` whose role is at least `minRole`. */
export function orgProcedure(minRole: OrgRole) {
  return protectedProcedure
    .meta({ tier: "org", minRole })
    .input(orgSlugInput)
    .use(async ({ ctx, input, next }) => {
      const membership = await findMembershipBySlug(ctx.db, input.orgSlug, ctx.userId);
      // A non-member learns nothing, not even whether the org exists.
      if (!membership) {
        throw new TRPCError({ code: "NOT_FOUND", message: `No organization “${input.orgSlug}” among yours. Check the address or ask for an invite.` });
      }
      if (!hasRole(membership.role, minRole)) {
        throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${minRole} role or higher; you are ${membership.role}.` });
      }
      return next({ ctx: { ...ctx, org: membership.org, role: membership.role } });
    });
}
