// What the attribution pages receive from the attributionDashboards router.
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Outputs = inferRouterOutputs<AppRouter>["attributionDashboards"];

export type Earnings = Outputs["myEarnings"];
export type EarningsEpoch = Earnings["epochs"][number];
export type ModelAttribution = Outputs["model"];
export type DatanetAttribution = Outputs["datanet"];
export type InferenceAttribution = Outputs["inference"];
export type ChainInfo = Outputs["chainInfo"];

/** A model the viewer may not see is named by where it lives, not by its name. */
export const modelLabel = (model: { name: string | null; versionNumber?: number | null }) =>
  model.name ? `${model.name}${model.versionNumber ? ` v${model.versionNumber}` : ""}` : "A model of another organization";
