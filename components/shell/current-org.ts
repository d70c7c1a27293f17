// The org named in the URL, loaded once per request and shared by the [org] layout and
// its pages. Signed-out visitors go to sign-in; an org that is not the user's (or a
// malformed address) yields the message the layout shows instead of the page.
import "server-only";
import { TRPCError } from "@trpc/server";
import { notFound, redirect } from "next/navigation";
import { cache } from "react";
import { getCaller } from "@/components/trpc/server";

type Org = Awaited<ReturnType<Awaited<ReturnType<typeof getCaller>>["orgs"]["get"]>>;
type Loaded = { ok: true; org: Org } | { ok: false; problem: string };

export const loadOrg = cache(async (orgSlug: string): Promise<Loaded> => {
  const caller = await getCaller();
  try {
    return { ok: true, org: await caller.orgs.get({ orgSlug }) };
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    if (error.code === "UNAUTHORIZED") redirect(`/sign-in?next=${encodeURIComponent(`/${orgSlug}`)}`);
    if (error.code === "NOT_FOUND") return { ok: false, problem: error.message };
    if (error.code === "BAD_REQUEST") return { ok: false, problem: "This is not a valid organization address. Check the link." };
    throw error;
  }
});

/** For pages under [org]: the org, or notFound() (the layout already shows why). */
export async function requireOrg(orgSlug: string) {
  const loaded = await loadOrg(orgSlug);
  if (!loaded.ok) notFound();
  return loaded.org;
}
