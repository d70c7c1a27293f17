"use client";
// Refreshes everything a review or a publish changes: record lists, stats, leaderboard, versions
// and their chain commits.
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import type { DatanetRef } from "./types";

export function useRefreshDatanet({ orgSlug, datanetSlug }: DatanetRef) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = { orgSlug, datanetSlug };
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.datanets.records.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.datanets.stats.queryKey(input) }),
      queryClient.invalidateQueries({ queryKey: trpc.datanets.leaderboard.queryKey(input) }),
      queryClient.invalidateQueries({ queryKey: trpc.datanets.versions.queryKey(input) }),
      queryClient.invalidateQueries({ queryKey: trpc.chain.datanetCommits.queryKey(input) }),
      queryClient.invalidateQueries({ queryKey: trpc.chain.status.queryKey() }),
    ]);
}
