"use client";
// Train and eval loss by step, from a run's metric events.
import { LineChart, type ChartPoint } from "@/components/ui";
import type { RunEvent } from "./types";

function pointsOf(events: RunEvent[], name: "train_loss" | "eval_loss"): ChartPoint[] {
  // A resumed attempt reports steps again: the latest value per step wins.
  const byStep = new Map<number, number>();
  for (const e of events) if (e.data?.name === name && Number.isFinite(e.data.value)) byStep.set(e.data.step, e.data.value);
  return [...byStep].sort(([a], [b]) => a - b).map(([x, y]) => ({ x, y }));
}

export function LossChart({ events }: { events: RunEvent[] }) {
  const train = pointsOf(events, "train_loss");
  const evalLoss = pointsOf(events, "eval_loss");
  if (train.length === 0 && evalLoss.length === 0) {
    return <p className="py-8 text-center text-sm text-gray-600">The loss curve appears here once the worker reports its first training steps.</p>;
  }
  return (
    <LineChart
      title="Loss by training step"
      xLabel="Step"
      yLabel="Loss"
      formatY={(v) => v.toFixed(v >= 10 ? 1 : 2)}
      series={[
        { name: "Train loss", points: train, colorClass: "text-brand-700" },
        { name: "Eval loss", points: evalLoss, colorClass: "text-warning-600", dashed: true },
      ]}
    />
  );
}
