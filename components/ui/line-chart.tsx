"use client";
// LineChart: a small SVG line chart (numeric x, one or more series) with ticked axes, a
// legend, and a title and summary for screen readers. Drawn at the container's pixel width
// so labels keep their size on a phone.
import { useEffect, useId, useRef, useState } from "react";
import { cn } from "./cn";

export type ChartPoint = { x: number; y: number };

export type ChartSeries = {
  name: string;
  points: ChartPoint[];
  /** A stroke colour class, e.g. "text-brand-700" (the line is drawn in currentColor). */
  colorClass: string;
  dashed?: boolean;
};

type LineChartProps = {
  title: string;
  series: ChartSeries[];
  xLabel: string;
  yLabel: string;
  height?: number;
  formatY?: (value: number) => string;
  /** Labels x ticks and the summary, e.g. a day number as a date; default: the number. */
  formatX?: (value: number) => string;
  /** Labels x ticks when they need a shorter label than the summary's; default: formatX. */
  formatXTick?: (value: number) => string;
  /** The x ticks between min and max, about `count` of them; default: round numbers (integers only). */
  xTicks?: (min: number, max: number, count: number) => number[];
  /** Pixels per x tick, for longer labels; default 80. */
  xTickSpacing?: number;
  /** The x range drawn, e.g. a whole time window; default: the points' extent. */
  xDomain?: [number, number];
  /** The y range drawn, e.g. [0, 100] for percentages; default: the points' extent, padded. */
  yDomain?: [number, number];
  className?: string;
};

const MARGIN = { top: 12, right: 16, bottom: 40, left: 56 };

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function extent(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

function padded([lo, hi]: [number, number]): [number, number] {
  if (lo === hi) return [lo - Math.abs(lo || 1) * 0.1, hi + Math.abs(hi || 1) * 0.1];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

const defaultFormat = (v: number) => (Math.abs(v) >= 1000 ? v.toLocaleString("en") : Number(v.toPrecision(3)).toString());

const defaultFormatX = (v: number) => v.toLocaleString("en");

function describe(series: ChartSeries[], xLabel: string, format: (v: number) => string, formatX: (v: number) => string): string {
  return series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const first = s.points[0]!;
      const last = s.points[s.points.length - 1]!;
      return s.points.length === 1
        ? `${s.name}: ${format(first.y)} at ${xLabel.toLowerCase()} ${formatX(first.x)}.`
        : `${s.name}: from ${format(first.y)} at ${xLabel.toLowerCase()} ${formatX(first.x)} to ${format(last.y)} at ${xLabel.toLowerCase()} ${formatX(last.x)}.`;
    })
    .join(" ");
}

const integerTicks = (min: number, max: number, count: number) => niceTicks(min, max, count).filter((t) => Number.isInteger(t));

export function LineChart({ title, series, xLabel, yLabel, height = 240, formatY = defaultFormat, formatX = defaultFormatX, formatXTick = formatX, xTicks: makeXTicks = integerTicks, xTickSpacing = 80, xDomain, yDomain, className }: LineChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  const titleId = useId();
  const descId = useId();

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.max(240, Math.floor(entry.contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const all = series.flatMap((s) => s.points);
  const [x0, x1] = xDomain ?? (all.length ? extent(all.map((p) => p.x)) : [0, 1]);
  const [y0, y1] = yDomain ?? padded(all.length ? extent(all.map((p) => p.y)) : [0, 1]);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const sy = (y: number) => MARGIN.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const xTicks = makeXTicks(x0, x1, Math.max(2, Math.floor(plotW / xTickSpacing)));
  const yTicks = niceTicks(y0, y1, 4);

  return (
    <figure className={cn("min-w-0", className)}>
      <div ref={ref} className="w-full">
        <svg width={width} height={height} role="img" aria-labelledby={`${titleId} ${descId}`} className="block text-xs">
          <title id={titleId}>{title}</title>
          <desc id={descId}>{describe(series, xLabel, formatY, formatX) || "No data yet."}</desc>
          {yTicks.map((t) => (
            <g key={`y${t}`}>
              <line x1={MARGIN.left} x2={width - MARGIN.right} y1={sy(t)} y2={sy(t)} className="stroke-gray-200" />
              <text x={MARGIN.left - 8} y={sy(t)} dy="0.32em" textAnchor="end" className="fill-gray-600 tabular-nums">
                {formatY(t)}
              </text>
            </g>
          ))}
          {xTicks.map((t) => (
            <g key={`x${t}`}>
              <line x1={sx(t)} x2={sx(t)} y1={MARGIN.top + plotH} y2={MARGIN.top + plotH + 4} className="stroke-gray-400" />
              {/* A label at the right edge ends there, so it is not cut off. */}
              <text x={sx(t)} y={MARGIN.top + plotH + 16} textAnchor={sx(t) > width - MARGIN.right - 24 ? "end" : "middle"} className="fill-gray-600 tabular-nums">
                {formatXTick(t)}
              </text>
            </g>
          ))}
          <line x1={MARGIN.left} x2={width - MARGIN.right} y1={MARGIN.top + plotH} y2={MARGIN.top + plotH} className="stroke-gray-400" />
          <text x={MARGIN.left + plotW / 2} y={height - 4} textAnchor="middle" className="fill-gray-700">
            {xLabel}
          </text>
          <text transform={`translate(12 ${MARGIN.top + plotH / 2}) rotate(-90)`} textAnchor="middle" className="fill-gray-700">
            {yLabel}
          </text>
          {series.map((s) => (
            <g key={s.name} className={s.colorClass}>
              {s.points.length > 1 && (
                <polyline
                  points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" ")}
                  fill="none"
                  stroke="currentColor"
                  strokeWidth={2}
                  strokeLinejoin="round"
                  strokeDasharray={s.dashed ? "6 4" : undefined}
                />
              )}
              {(s.points.length === 1 || s.dashed) &&
                s.points.map((p) => <circle key={p.x} cx={sx(p.x)} cy={sy(p.y)} r={3} fill="currentColor" />)}
            </g>
          ))}
        </svg>
      </div>
      <figcaption>
        <ul aria-label="Legend" className="mt-2 flex flex-wrap gap-x-5 gap-y-1 text-sm text-gray-700">
          {series.map((s) => (
            <li key={s.name} className="flex items-center gap-2">
              <svg aria-hidden="true" width="24" height="8" className={s.colorClass}>
                <line x1="0" x2="24" y1="4" y2="4" stroke="currentColor" strokeWidth="2" strokeDasharray={s.dashed ? "6 4" : undefined} />
              </svg>
              {s.name}
              <span className="text-gray-600 tabular-nums">{s.points.length ? formatY(s.points[s.points.length - 1]!.y) : "no points yet"}</span>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
