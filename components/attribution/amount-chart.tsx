"use client";
// Amounts over a dashboard's window, every bucket of time drawn (one with nothing is zero): one
// per epoch, or per round length of whole epochs when the window holds too many (./epochs.ts), in
// the unit that keeps the axis readable (ETH, mETH, µETH or gwei).
import { LineChart } from "@/components/ui";
import { chartUnit, formatTick, inUnit } from "./format";
import { epochAxis, type EpochWindow } from "./epochs";

export interface AmountSeries {
  name: string;
  colorClass: string;
  /** Amount (decimal wei) per epoch; epochs missing are zero. */
  amounts: ReadonlyMap<number, string>;
}

/** `title` ends with "per", followed by the bucket's length: "Earned per" → "Earned per day". */
export function AmountChart({ title, window, series }: { title: string; window: EpochWindow; series: AmountSeries[] }) {
  const axis = epochAxis(window);
  const summed = series.map((s) => ({ ...s, sums: axis.sum(s.amounts, (a, b) => (BigInt(a) + BigInt(b)).toString(), "0") }));
  const unit = chartUnit(summed.flatMap((s) => [...s.sums.values()]));
  return (
    <LineChart
      title={`${title} ${axis.per}`}
      yLabel={unit.label}
      {...axis.chart}
      formatY={formatTick}
      series={summed.map((s) => ({ name: `${s.name} (${unit.label})`, colorClass: s.colorClass, points: [...s.sums].map(([start, amount]) => ({ x: axis.x(start), y: inUnit(amount, unit) })) }))}
    />
  );
}
