// The Datanet named in the URL, loaded once per request for the detail layout, its
// metadata and the pages that need the row itself.
import "server-only";
import { TRPCError } from "@trpc/server";
import { cache } from "react";
import { getCaller } from "@/components/trpc/server";

/**
 * The Datanet, or null when this org has none at that address (or the address is malformed).
 * Signed-out visitors also get null here: the org layout sends them to sign-in.
 */
export const loadDatanet = cache(async (orgSlug: string, datanetSlug: string) => {
  try {
    return await (await getCaller()).datanets.get({ orgSlug, datanetSlug });
  } catch (error) {
    if (error instanceof TRPCError && ["NOT_FOUND", "BAD_REQUEST", "UNAUTHORIZED"].includes(error.code)) return null;
    throw error;
  }
});
