// Words for run states, durations, sizes and losses, shared by the ModelFactory pages.
import type { BadgeVariant } from "@/components/ui";
import type { CatalogModel, Hyperparameters, RunStatus } from "./types";

export const runStatusBadges: Record<RunStatus, { label: string; variant: BadgeVariant }> = {
  validating: { label: "Validating", variant: "neutral" },
  queued: { label: "Queued", variant: "warning" },
  running: { label: "Running", variant: "brand" },
  succeeded: { label: "Succeeded", variant: "success" },
  failed: { label: "Failed", variant: "danger" },
  cancelled: { label: "Cancelled", variant: "neutral" },
};

/** Still changing: pages poll while a run is in one of these. */
export function isActive(status: RunStatus | undefined): boolean {
  return status === "validating" || status === "queued" || status === "running";
}

/** "about 12 minutes", "less than a minute": for ETAs and estimates. */
export function durationWords(seconds: number): string {
  if (seconds < 45) return "less than a minute";
  if (seconds < 90 * 60) {
    const minutes = Math.round(seconds / 60);
    return `about ${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
  }
  const hours = seconds / 3600;
  return `about ${hours < 10 ? hours.toFixed(1) : Math.round(hours)} hours`;
}

/** "42 s", "3 min 5 s": how long something took. */
export function elapsed(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

/** Relative to `now`: "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(value: Date | string, now = Date.now()): string {
  const seconds = Math.max(0, (now - new Date(value).getTime()) / 1000);
  if (seconds < 10) return "just now";
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86_400);
  return `${days} ${days === 1 ? "day" : "days"} ago`;
}

export function formatLoss(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(3);
}

export function formatPerplexity(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(value >= 100 ? 0 : 2);
}

/** 135M, 1.7B, 200K parameters. */
export function parameterCount(billions: number): string {
  if (billions >= 1) return `${Number(billions.toPrecision(2))}B`;
  if (billions >= 0.001) return `${Math.round(billions * 1000)}M`;
  return `${Math.round(billions * 1_000_000)}K`;
}

/** 8K, 128K tokens. */
export function contextWords(tokens: number): string {
  return tokens >= 1024 ? `${Math.round(tokens / 1024)}K tokens` : `${tokens} tokens`;
}

export function memoryWords(model: Pick<CatalogModel, "trainMemoryGb">): string {
  return model.trainMemoryGb === 0 ? "Runs on a CPU" : `Needs a GPU with ${model.trainMemoryGb} GB`;
}

/** 2e-4 reads better than 0.0002 for learning rates. */
export function formatRate(value: number): string {
  return value >= 0.001 ? String(value) : value.toExponential();
}

/** "3 epochs · rank 16 · learning rate 2e-4 · batch 8": a run's settings in one line. */
export function settingsSummary(hp: Hyperparameters): string {
  return [
    `${hp.epochs} ${hp.epochs === 1 ? "epoch" : "epochs"}`,
    `rank ${hp.loraRank}`,
    `learning rate ${formatRate(hp.learningRate)}`,
    `batch ${hp.batchSize}`,
    `max length ${hp.maxLength}`,
  ].join(" · ");
}

export const templateLabels: Record<string, string> = { chat: "Chat", instruction: "Instruction", text: "Plain text" };
