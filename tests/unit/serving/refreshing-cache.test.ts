// The per-process cache of worker lists and deployments: fresh within its TTL, read again in the
// background past half of it (the caller does not wait), read before answering past all of it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RefreshingCache } from "@/server/serving/refreshing-cache";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A read that counts itself and answers the given values in turn. */
function reads(...values: Array<number | Error>) {
  const read = vi.fn(async () => {
    const value = values[Math.min(read.mock.calls.length - 1, values.length - 1)]!;
    if (value instanceof Error) throw value;
    return value;
  });
  return read;
}

describe("RefreshingCache", () => {
  it("answers from memory within half the TTL, refreshes in the background past it, and reads first past the TTL", async () => {
    const cache = new RefreshingCache<number>(() => 2000);
    const read = reads(1, 2, 3);
    expect(await cache.get("k", read)).toBe(1);
    vi.advanceTimersByTime(999);
    expect(await cache.get("k", read)).toBe(1);
    expect(read).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    // Past half the TTL: still the old value, with one refresh under way however often it is asked.
    expect(await cache.get("k", read)).toBe(1);
    expect(await cache.get("k", read)).toBe(2);
    expect(read).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(2000);
    expect(await cache.get("k", read)).toBe(3);
    expect(read).toHaveBeenCalledTimes(3);
  });

  it("keeps no failed read: the next call reads again, and a failed refresh leaves the old value answering", async () => {
    const cache = new RefreshingCache<number>(() => 2000);
    const failing = reads(new Error("database down"), 1, new Error("database down"), 4);
    await expect(cache.get("k", failing)).rejects.toThrow("database down");
    expect(await cache.get("k", failing)).toBe(1);
    vi.advanceTimersByTime(1500);
    expect(await cache.get("k", failing)).toBe(1);
    expect(await cache.get("k", failing)).toBe(1);
    expect(await cache.get("k", failing)).toBe(4);
  });

  it("reads every time with a TTL of 0, and starts over past its size", async () => {
    const uncached = new RefreshingCache<number>(() => 0);
    const read = reads(1, 2);
    expect(await uncached.get("k", read)).toBe(1);
    expect(await uncached.get("k", read)).toBe(2);

    const small = new RefreshingCache<string>(() => 60_000, 2);
    const named = (name: string) => vi.fn(async () => name);
    const a = named("a");
    await small.get("a", a);
    await small.get("b", named("b"));
    await small.get("c", named("c"));
    await small.get("a", a);
    expect(a).toHaveBeenCalledTimes(2);
  });
});
