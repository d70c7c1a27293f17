// Server-component side of tRPC: prefetch through the in-process caller, then
// <HydrateClient> hands the cache to the browser so client components start warm.
import "server-only";
import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { createRequestContext } from "@/server/api/context";
import { appRouter } from "@/server/api/root";
import { makeQueryClient } from "./query-client";

export const getQueryClient = cache(makeQueryClient);
const getContext = cache(async () => createRequestContext(await headers()));

export const trpc = createTRPCOptionsProxy({ ctx: getContext, router: appRouter, queryClient: getQueryClient });

/** Direct calls for server components that need the data itself (redirects, notFound). */
export const getCaller = cache(async () => appRouter.createCaller(await getContext()));

export function HydrateClient({ children }: { children: ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}
