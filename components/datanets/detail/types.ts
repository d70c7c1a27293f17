// Row types of the Datanet pages, read from the API so they are never written twice.
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type DatanetOutputs = inferRouterOutputs<AppRouter>["datanets"];

export type Datanet = DatanetOutputs["get"];
export type RecordRow = DatanetOutputs["records"]["rows"][number];
export type VersionRow = DatanetOutputs["versions"][number];
export type LeaderboardRow = DatanetOutputs["leaderboard"][number];
export type DirectoryRow = DatanetOutputs["directory"]["rows"][number];

/** The org and Datanet every query and mutation of the detail pages is keyed by. */
export interface DatanetRef {
  orgSlug: string;
  datanetSlug: string;
}
