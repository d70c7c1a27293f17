// How the attribution pages label epochs and chart them: by when each starts, at the epoch length
// the server sends (ATTRIBUTION_EPOCH_SECONDS), with time buckets few enough to draw.
import { describe, expect, it } from "vitest";
import {
  afterEpochEnds,
  chartBuckets,
  durationWords,
  epochAxis,
  epochHeading,
  epochLabel,
  epochLengthWords,
  MAX_CHART_POINTS,
  sumByBucket,
  timeTickLabel,
  timeTicks,
} from "@/components/attribution/epochs";

const DAY = 86_400;
const day = Date.UTC(2025, 10, 23) / (DAY * 1000); // 23 Nov 2025
const minute = Date.UTC(2025, 10, 23, 14, 5) / 60_000; // 23 Nov 2025 14:05

describe("epoch labels", () => {
  it("a day-long epoch is its date", () => {
    expect(epochLabel(day, DAY)).toBe("23 Nov 2025");
    expect(epochLabel(String(day), DAY)).toBe("23 Nov 2025");
  });

  it("a shorter epoch is the date and time it starts, in UTC (not a day number 1,440 times too far)", () => {
    expect(epochLabel(minute, 60)).toBe("23 Nov 2025, 14:05 UTC");
    expect(epochLabel(Date.UTC(2025, 10, 23, 15) / 3_600_000, 3_600)).toBe("23 Nov 2025, 15:00 UTC");
    // 90-second epochs start on odd seconds.
    expect(epochLabel(Math.floor(Date.UTC(2025, 10, 23, 14, 5, 30) / 90_000), 90)).toBe("23 Nov 2025, 14:04:30 UTC");
  });

  it("words and headings follow the epoch's length", () => {
    expect([DAY, 3_600, 60, 90].map(afterEpochEnds)).toEqual(["after the day ends (UTC)", "after the hour ends", "after the minute ends", "after the epoch ends"]);
    expect([DAY, 60].map(epochHeading)).toEqual(["Day", "Epoch"]);
    expect([DAY, 3_600, 60, 90, 7_200].map(epochLengthWords)).toEqual(["a UTC day", "an hour", "a minute", "90 seconds", "2 hours"]);
    expect([DAY, 2 * DAY, 7 * DAY, 21_600, 300].map(durationWords)).toEqual(["day", "2 days", "week", "6 hours", "5 minutes"]);
  });
});

describe("chart buckets", () => {
  it("day epochs: one point per day, up to a year", () => {
    const month = chartBuckets(day - 29, day, DAY);
    expect(month).toMatchObject({ epochs: 1, seconds: DAY });
    expect(month.starts).toEqual(Array.from({ length: 30 }, (_, i) => day - 29 + i));
    expect(chartBuckets(day - 364, day, DAY).starts).toHaveLength(365);
  });

  it("minute epochs over 30 days: two-hour buckets aligned to UTC, the last holding the current minute", () => {
    const buckets = chartBuckets(minute - 30 * 1440 + 1, minute, 60);
    expect(buckets).toMatchObject({ epochs: 120, seconds: 7_200 });
    expect(buckets.starts.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(new Date(buckets.starts.at(-1)! * 60_000).toISOString()).toBe("2025-11-23T14:00:00.000Z");
    expect(buckets.starts.every((s) => (s * 60) % 7_200 === 0)).toBe(true);
    expect(buckets.bucketOf(minute)).toBe(buckets.starts.at(-1));
    expect(chartBuckets(minute - 90 * 1440 + 1, minute, 60).seconds).toBe(21_600);
  });

  it("an epoch length no round length is a multiple of: whole epochs per bucket, the last ending with the window", () => {
    const until = 40_000;
    const buckets = chartBuckets(until - 26_720, until, 97);
    expect(buckets.epochs).toBe(Math.ceil(26_721 / (MAX_CHART_POINTS - 1)));
    expect(buckets.starts.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(buckets.bucketOf(until + 1)).toBe(until + 1);
    expect(buckets.bucketOf(until)).toBe(buckets.starts.at(-1));
  });

  it("sums epochs into their buckets, zero where nothing happened, nothing from outside the window", () => {
    const buckets = chartBuckets(minute - 30 * 1440 + 1, minute, 60);
    const sums = sumByBucket(buckets, [[minute, 2n], [minute - 1, 3n], [minute - 200, 5n], [minute + 500, 7n]], (a, b) => a + b, 0n);
    expect(sums.size).toBe(buckets.starts.length);
    expect(sums.get(buckets.starts.at(-1)!)).toBe(5n);
    expect(sums.get(buckets.starts.at(-2)!)).toBe(0n);
    expect(sums.get(buckets.starts.at(-3)!)).toBe(5n);
    expect(sums.get(buckets.starts[0]!)).toBe(0n);
  });
});

describe("time axis", () => {
  it("ticks at round UTC times, labelled by date at midnight and by time within a day", () => {
    const month = timeTicks(Date.UTC(2025, 9, 24, 14), Date.UTC(2025, 10, 23, 14), 8);
    expect(month.length).toBeLessThanOrEqual(8);
    expect(month.map(timeTickLabel)).toEqual(["29 Oct", "3 Nov", "8 Nov", "13 Nov", "18 Nov", "23 Nov"]);
    expect(timeTicks(Date.UTC(2025, 10, 23, 12, 10), Date.UTC(2025, 10, 23, 14), 4).map(timeTickLabel)).toEqual(["12:30", "13:00", "13:30", "14:00"]);
    // A phone's two ticks over 90 days: two, not the one a 63-day step would leave.
    expect(timeTicks(Date.UTC(2025, 7, 27), Date.UTC(2025, 10, 23), 2)).toHaveLength(2);
  });

  it("an axis over minute epochs says its bucket in the title and time on the axis; over days, days", () => {
    const minutes = epochAxis({ sinceEpoch: minute - 30 * 1440 + 1, currentEpoch: minute, epochSeconds: 60 });
    expect(minutes.per).toBe("per 2 hours");
    expect(minutes.chart.xLabel).toBe("Time (UTC)");
    expect(minutes.chart.formatX(minutes.x(minutes.buckets.starts.at(-1)!))).toBe("23 Nov 2025, 14:00 UTC");
    const days = epochAxis({ sinceEpoch: day - 89, currentEpoch: day, epochSeconds: DAY });
    expect(days.per).toBe("per day");
    expect(days.chart.xLabel).toBe("Day (UTC)");
    expect(days.chart.formatX(days.x(day))).toBe("23 Nov 2025");
  });
});
