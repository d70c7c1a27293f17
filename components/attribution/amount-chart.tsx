"use client";
// Amounts per day over a dashboard's window, every day drawn (a day with nothing is zero), in the
// unit that keeps the axis readable (ETH, mETH, µETH or gwei).
import { LineChart } from "@/components/ui";
import { chartUnit, epochRange, epochTick, formatTick, inUnit } from "./format";

export interface AmountSeries {
  name: string;
  colorClass: string;
  /** Amount (decimal wei) per epoch; epochs missing are zero. */
  amounts: ReadonlyMap<number, string>;
}

export function AmountChart({ title, sinceEpoch, days, series }: { title: string; sinceEpoch: number; days: number; series: AmountSeries[] }) {
  const unit = chartUnit(series.flatMap((s) => [...s.amounts.values()]));
  const epochs = epochRange(sinceEpoch, days);
  return (
    <LineChart
      title={title}
      xLabel="Day (UTC)"
      yLabel={unit.label}
      formatX={epochTick}
      formatY={formatTick}
      series={series.map((s) => ({ name: `${s.name} (${unit.label})`, colorClass: s.colorClass, points: epochs.map((epoch) => ({ x: epoch, y: inUnit(s.amounts.get(epoch) ?? "0", unit) })) }))}
    />
  );
}
