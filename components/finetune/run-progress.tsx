// How far a run is: a step bar (role progressbar, aria-valuenow = step) and, when the run
// reports them, epoch, loss, speed and the time left in words.
import { formatCount } from "@/components/datanets/detail/format";
import { cn } from "@/components/ui";
import { durationWords, formatLoss } from "./format";
import type { Progress, RunStatus } from "./types";

type Props = {
  progress: Progress | null;
  status: RunStatus;
  /** Steps the plan expects, shown before the worker reports its own count. */
  plannedSteps: number;
  /** One line in tables; the full figures on the run page. */
  compact?: boolean;
};

export function RunProgress({ progress, status, plannedSteps, compact = false }: Props) {
  const total = progress?.totalSteps || plannedSteps;
  const step = status === "succeeded" ? total : Math.min(progress?.step ?? 0, total);
  const percent = total > 0 ? Math.round((step / total) * 100) : 0;
  const bar = (
    <div
      role="progressbar"
      aria-label="Training progress"
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={step}
      aria-valuetext={`Step ${step} of ${total}`}
      className={cn("overflow-hidden rounded-full bg-gray-200", compact ? "h-1.5 w-24" : "h-3 w-full")}
    >
      <div
        className={cn("h-full rounded-full transition-[width] duration-500", status === "failed" ? "bg-danger-600" : status === "cancelled" ? "bg-gray-400" : "bg-brand-600")}
        style={{ width: `${percent}%` }}
      />
    </div>
  );
  if (compact) {
    return (
      <div className="flex items-center gap-2">
        {bar}
        <span className="text-xs text-gray-600 tabular-nums">{percent}%</span>
      </div>
    );
  }
  const running = status === "running";
  const figures = [
    { label: "Step", value: `${formatCount(step)} of ${formatCount(total)}` },
    { label: "Epoch", value: progress ? progress.epoch.toFixed(2) : "—" },
    { label: "Train loss", value: formatLoss(progress?.loss) },
    { label: "Speed", value: progress?.tokensPerSecond ? `${formatCount(Math.round(progress.tokensPerSecond))} tokens/s` : "—" },
    { label: "Time left", value: running && progress?.etaSeconds != null ? durationWords(progress.etaSeconds) : "—" },
  ];
  return (
    <div>
      <div className="mb-1.5 flex items-baseline justify-between text-sm">
        <span className="font-medium text-gray-900">{percent}% done</span>
        <span className="text-gray-600 tabular-nums">
          step {formatCount(step)} / {formatCount(total)}
        </span>
      </div>
      {bar}
      <dl className="mt-4 grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-5">
        {figures.map((f) => (
          <div key={f.label}>
            <dt className="text-xs text-gray-600">{f.label}</dt>
            <dd className="font-semibold text-gray-900 tabular-nums">{f.value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
