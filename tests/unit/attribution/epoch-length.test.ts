// ATTRIBUTION_EPOCH_SECONDS: epochs are UTC days by default; a short epoch (demos, e2e) closes
// soon, with a grace period of a tenth of it.
import { afterEach, describe, expect, it } from "vitest";
import { importWithEnv, restoreEnv } from "../../helpers/env";

const epochsWith = (seconds: string | undefined) => importWithEnv({ ATTRIBUTION_EPOCH_SECONDS: seconds }, () => import("@/server/attribution/epochs"));

afterEach(restoreEnv);

describe("ATTRIBUTION_EPOCH_SECONDS", () => {
  it("defaults to UTC days with a ten-minute grace", async () => {
    const { EPOCH_SECONDS, ROLL_UP_GRACE_SECONDS, epochOf } = await epochsWith(undefined);
    expect(EPOCH_SECONDS).toBe(86_400);
    expect(ROLL_UP_GRACE_SECONDS).toBe(600);
    expect(epochOf(new Date("2026-11-23T23:59:59Z"))).toBe(Date.UTC(2026, 10, 23) / 86_400_000);
  });

  it("a 60-second epoch numbers minutes and is rolled up 6 s after it ends", async () => {
    const { EPOCH_SECONDS, ROLL_UP_GRACE_SECONDS, epochOf } = await epochsWith("60");
    expect(EPOCH_SECONDS).toBe(60);
    expect(ROLL_UP_GRACE_SECONDS).toBe(6);
    const minute = Date.UTC(2026, 10, 23, 18, 30) / 60_000;
    expect(epochOf(new Date("2026-11-23T18:30:59Z"))).toBe(minute);
    expect(epochOf(new Date("2026-11-23T18:31:00Z"))).toBe(minute + 1);
  });

  it("refuses an epoch shorter than a minute, naming the setting", async () => {
    await expect(epochsWith("59")).rejects.toThrow(/ATTRIBUTION_EPOCH_SECONDS: ATTRIBUTION_EPOCH_SECONDS must be at least 60/);
  });

  it("a dashboard's 30-day window covers 30 days of short epochs", async () => {
    const { epochOf } = await epochsWith("60");
    const { sinceEpoch } = await import("@/server/attribution/dashboards/window");
    const now = new Date("2026-11-23T18:30:30Z");
    expect(sinceEpoch(30, now)).toBe(epochOf(now) - 30 * 1440 + 1);
  });
});
