// Row types of the ModelFactory pages, read from the API so they are never written twice.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Outputs = inferRouterOutputs<AppRouter>["finetune"];
type Inputs = inferRouterInputs<AppRouter>["finetune"];

export type Run = Outputs["run"];
export type RunRow = Outputs["runs"][number];
export type RunEvent = Outputs["events"][number];
export type ModelRow = Outputs["models"][number];
export type Model = Outputs["model"];
export type CatalogModel = Outputs["catalog"][number];
export type TrainableVersion = Outputs["datasets"][number];
export type Plan = Outputs["plan"];
export type PlanInput = Inputs["plan"];
export type Hyperparameters = Plan["hyperparameters"];
export type TaskTemplate = PlanInput["taskTemplate"];
export type RunStatus = Run["status"];
export type Progress = NonNullable<Run["progress"]>;
export type EvalReport = NonNullable<Run["evalReport"]>;
