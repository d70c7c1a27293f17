// A deployment's state as a coloured badge, and the row types of the deployment pages.
import type { inferRouterOutputs } from "@trpc/server";
import { Badge, type BadgeVariant } from "@/components/ui";
import type { AppRouter } from "@/server/api/root";

type Outputs = inferRouterOutputs<AppRouter>["deployments"];
export type DeploymentRow = Outputs["list"][number];
export type DeploymentStatus = DeploymentRow["status"];

const badges: Record<DeploymentStatus, { label: string; variant: BadgeVariant }> = {
  pending: { label: "Pending", variant: "neutral" },
  loading: { label: "Loading", variant: "brand" },
  ready: { label: "Ready", variant: "success" },
  failed: { label: "Failed", variant: "danger" },
  stopped: { label: "Stopped", variant: "neutral" },
};

export const isSettling = (status: DeploymentStatus | undefined) => status === "pending" || status === "loading";

export function DeploymentStatusBadge({ status, live = false }: { status: DeploymentStatus; live?: boolean }) {
  const { label, variant } = badges[status];
  return (
    <Badge variant={variant} role={live ? "status" : undefined} aria-label={live ? "Deployment status" : undefined}>
      {label}
    </Badge>
  );
}
