// A run's state as a coloured badge; `live` makes it the page's announced "Status".
import { Badge } from "@/components/ui";
import { runStatusBadges } from "./format";
import type { RunStatus } from "./types";

export function RunStatusBadge({ status, live = false }: { status: RunStatus; live?: boolean }) {
  const { label, variant } = runStatusBadges[status];
  return (
    <Badge variant={variant} role={live ? "status" : undefined} aria-label={live ? "Status" : undefined}>
      {label}
    </Badge>
  );
}
