// Epochs as the attribution pages show them. Epoch n covers [n·E, (n+1)·E) seconds since 1970,
// E = ATTRIBUTION_EPOCH_SECONDS, which the server sends with each dashboard (`epochSeconds`): a
// UTC day by default, shorter in demos and e2e. An epoch is labelled by when it starts (its date
// for day-long epochs, date and time for shorter ones), and a chart over a window draws time
// buckets of whole epochs aligned to the clock (an epoch, an hour, a day…), few enough to draw.

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;
const WEEK = 7 * DAY;

/** When epoch `epoch` starts. */
export const epochStart = (epoch: number, epochSeconds: number) => new Date(epoch * epochSeconds * 1000);

const dateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const shortDateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
const timeFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });
const secondsFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: "UTC" });

/** An instant's UTC time of day, with seconds only when it has some. */
const clock = (at: Date) => (at.getUTCSeconds() === 0 ? timeFormat : secondsFormat).format(at);

/** A period by when it starts: its date when it lasts a day or more from midnight UTC, else date and time. */
export function periodLabel(start: Date, seconds: number): string {
  const midnight = start.getTime() % (DAY * 1000) === 0;
  return seconds >= DAY && midnight ? dateFormat.format(start) : `${dateFormat.format(start)}, ${clock(start)} UTC`;
}

/** "23 Nov 2025" for a day-long epoch; "23 Nov 2025, 14:05 UTC" (when it starts) for a shorter one. */
export const epochLabel = (epoch: number | string, epochSeconds: number) => periodLabel(epochStart(Number(epoch), epochSeconds), epochSeconds);

/** What an epoch is called in a sentence: "day", "hour", "minute", or "epoch" for other lengths. */
export function epochNoun(epochSeconds: number): "day" | "hour" | "minute" | "epoch" {
  if (epochSeconds === DAY) return "day";
  if (epochSeconds === HOUR) return "hour";
  if (epochSeconds === MINUTE) return "minute";
  return "epoch";
}

/** When an open epoch is committed: "after the day ends (UTC)", "after the minute ends". */
export const afterEpochEnds = (epochSeconds: number) => `after the ${epochNoun(epochSeconds)} ends${epochSeconds === DAY ? " (UTC)" : ""}`;

/** A column heading for epochs: "Day" when they are days, else "Epoch" (labelled by when each starts). */
export const epochHeading = (epochSeconds: number) => (epochSeconds === DAY ? "Day" : "Epoch");

/** A length of time in words: "day", "2 hours", "5 minutes", "90 seconds" ("per …" reads right). */
export function durationWords(seconds: number): string {
  const units: [number, string][] = [[WEEK, "week"], [DAY, "day"], [HOUR, "hour"], [MINUTE, "minute"], [1, "second"]];
  const [size, name] = units.find(([size]) => seconds % size === 0)!;
  const count = seconds / size;
  return count === 1 ? name : `${count} ${name}s`;
}

/** An epoch's length in words: "a UTC day", "an hour", "a minute", "90 seconds". */
export function epochLengthWords(epochSeconds: number): string {
  const words = durationWords(epochSeconds);
  if (words === "day") return "a UTC day";
  if (words === "hour") return "an hour";
  return /^\d/.test(words) ? words : `a ${words}`;
}

/** Bucket lengths a chart may use, when they are whole epochs: the clock's round lengths. */
const ROUND_LENGTHS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, WEEK, 2 * WEEK, 4 * WEEK];

/** At most this many points per series: one per day of a year's window. */
export const MAX_CHART_POINTS = 400;

export interface ChartBuckets {
  /** Epochs per bucket. */
  epochs: number;
  /** The bucket's length in seconds (epochs × epoch length). */
  seconds: number;
  /** The first epoch of each bucket, oldest first; the first may start before the window. */
  starts: number[];
  /** The first epoch of the bucket holding `epoch`. */
  bucketOf(epoch: number): number;
}

/**
 * The buckets a chart of epochs `since`..`until` (both included) draws: one per epoch when that is
 * few enough, else the shortest round length (a whole number of epochs, aligned to UTC) that keeps
 * them within `maxPoints`; an epoch length no round length is a multiple of groups epochs as they come.
 */
export function chartBuckets(since: number, until: number, epochSeconds: number, maxPoints = MAX_CHART_POINTS): ChartBuckets {
  const count = Math.max(1, until - since + 1);
  const spanSeconds = count * epochSeconds;
  const round = [epochSeconds, ...ROUND_LENGTHS.filter((l) => l > epochSeconds && l % epochSeconds === 0)].find((l) => Math.ceil(spanSeconds / l) + 1 <= maxPoints);
  const epochs = round ? round / epochSeconds : Math.ceil(count / (maxPoints - 1));
  // Round lengths are aligned to 1970 (so to UTC days and hours); other groups to the window's end.
  const offset = round ? 0 : ((until + 1) % epochs);
  const bucketOf = (epoch: number) => Math.floor((epoch - offset) / epochs) * epochs + offset;
  const starts: number[] = [];
  for (let start = bucketOf(since); start <= until; start += epochs) starts.push(start);
  return { epochs, seconds: epochs * epochSeconds, starts, bucketOf };
}

/** Sums `values` (epoch → amount) into the buckets, every bucket present (zero when empty). */
export function sumByBucket<T>(buckets: ChartBuckets, values: Iterable<[number, T]>, add: (a: T, b: T) => T, zero: T): Map<number, T> {
  const sums = new Map<number, T>(buckets.starts.map((s) => [s, zero]));
  for (const [epoch, value] of values) {
    const start = buckets.bucketOf(epoch);
    if (sums.has(start)) sums.set(start, add(sums.get(start)!, value));
  }
  return sums;
}

/** Tick steps for a time axis, in seconds. */
const TICK_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 5 * DAY, WEEK, 2 * WEEK, 4 * WEEK, 6 * WEEK, 9 * WEEK, 13 * WEEK, 26 * WEEK, 52 * WEEK];

/** At most `count` ticks at round UTC times between two instants in ms: the shortest round step whose ticks fit. */
export function timeTicks(fromMs: number, toMs: number, count: number): number[] {
  if (!(toMs > fromMs)) return [fromMs];
  const ticksOf = (step: number) => {
    const ticks: number[] = [];
    for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) ticks.push(t);
    return ticks;
  };
  for (const step of TICK_STEPS) {
    if ((toMs - fromMs) / (step * 1000) > count + 1) continue; // too many ticks whatever the alignment
    const ticks = ticksOf(step * 1000);
    if (ticks.length <= Math.max(1, count)) return ticks;
  }
  return ticksOf(TICK_STEPS[TICK_STEPS.length - 1]! * 1000);
}

/** A time tick's label: its date at midnight UTC ("23 Nov"), else its time ("14:30"). */
export function timeTickLabel(ms: number): string {
  const at = new Date(ms);
  return at.getUTCHours() === 0 && at.getUTCMinutes() === 0 && at.getUTCSeconds() === 0 ? shortDateFormat.format(at) : clock(at);
}

/** What a dashboard's window says about its epochs (server/attribution/dashboards/window.ts epochWindow). */
export interface EpochWindow {
  sinceEpoch: number;
  currentEpoch: number;
  epochSeconds: number;
}

/**
 * A chart's x axis over a window: its buckets, "per day" (or "per 2 hours") for its title, x as
 * each bucket's start in ms, values summed per bucket, and the LineChart props that label it.
 */
export function epochAxis({ sinceEpoch, currentEpoch, epochSeconds }: EpochWindow) {
  const buckets = chartBuckets(sinceEpoch, currentEpoch, epochSeconds);
  const x = (start: number) => start * epochSeconds * 1000;
  return {
    buckets,
    per: `per ${durationWords(buckets.seconds)}`,
    x,
    /** Values per epoch summed per bucket, every bucket present. */
    sum: <T>(values: ReadonlyMap<number, T>, add: (a: T, b: T) => T, zero: T) => sumByBucket(buckets, values, add, zero),
    chart: {
      xDomain: [x(buckets.starts[0]!), x(buckets.starts.at(-1)!)] as [number, number],
      xLabel: buckets.seconds >= DAY ? "Day (UTC)" : "Time (UTC)",
      formatX: (ms: number) => periodLabel(new Date(ms), buckets.seconds),
      formatXTick: timeTickLabel,
      xTicks: timeTicks,
      xTickSpacing: 90,
    },
  };
}
