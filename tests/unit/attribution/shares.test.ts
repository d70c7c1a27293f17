import { describe, expect, it } from "vitest";
import { attributeOutput } from "@/server/attribution/attribute";
import { splitAmount } from "@/server/attribution/shares";
import { indexOfRecords, random, type SnapshotRecord } from "./helpers";

const X = { contributorId: "00000000-0000-4000-8000-00000000000a", contributorWallet: "0x000000000000000000000000000000000000000a" };
const Y = { contributorId: "00000000-0000-4000-8000-00000000000b", contributorWallet: "0x000000000000000000000000000000000000000b" };
const record = (id: string, who: typeof X, t: string): SnapshotRecord => ({ id, ...who, content: { text: t } });

describe("splitAmount", () => {
  it("sums to the total exactly and follows the weights", () => {
    const next = random(5);
    for (let trial = 0; trial < 200; trial++) {
      const weights = Array.from({ length: 1 + Math.floor(next() * 8) }, () => next() * 100 + (trial % 4 === 0 ? 0 : 0.001));
      const total = BigInt(Math.floor(next() * 1e15)) * 1000n + BigInt(trial);
      const amounts = splitAmount(total, weights);
      expect(amounts.reduce((a, b) => a + b, 0n)).toBe(total);
      const sum = weights.reduce((a, b) => a + b, 0);
      amounts.forEach((a, i) => expect(Math.abs(Number(a) - (Number(total) * weights[i]!) / sum)).toBeLessThanOrEqual(Number(total) * 1e-11 + 1));
    }
    expect(splitAmount(10n, [1, 1, 1])).toEqual([4n, 3n, 3n]);
  });
});

describe("weights", () => {
  it("gives a span found in one record all its weight, and splits and discounts a shared span (1/df each, 1/df² per record)", async () => {
    const { index } = await indexOfRecords([
      record("x1", X, "the lighthouse keeper counted seventeen gulls at dawn"),
      record("y1", Y, "we all agree that the weather was fine today"),
      record("x2", X, "we all agree that the weather was fine today, said one"),
    ]);
    const unique = attributeOutput(index, "The lighthouse keeper counted seventeen gulls at dawn.", 1000n, 6);
    expect(unique.method).toBe("spans");
    expect(unique.spans).toHaveLength(1);
    expect(unique.spans[0]!.df).toBe(1);
    expect(unique.contributors.map((c) => [c.contributorWallet, c.share, c.amount])).toEqual([[X.contributorWallet, 1, "1000"]]);

    const both = attributeOutput(index, "we all agree that the weather was fine today. The lighthouse keeper counted seventeen gulls at dawn", 900n, 6);
    const [shared, rare] = both.spans;
    expect(shared!.df).toBe(2);
    expect(shared!.weight).toBeCloseTo(shared!.bytes / 2, 12);
    expect(shared!.records.map((r) => r.weight)).toEqual([shared!.bytes / 4, shared!.bytes / 4]);
    expect(rare!.weight).toBe(rare!.bytes);
    const xWeight = rare!.bytes + shared!.bytes / 4;
    const yWeight = shared!.bytes / 4;
    const byWallet = Object.fromEntries(both.contributors.map((c) => [c.contributorWallet, c]));
    expect(byWallet[X.contributorWallet]!.weight).toBeCloseTo(xWeight, 9);
    expect(byWallet[Y.contributorWallet]!.share).toBeCloseTo(yWeight / (xWeight + yWeight), 12);
    expect(BigInt(byWallet[X.contributorWallet]!.amount) + BigInt(byWallet[Y.contributorWallet]!.amount)).toBe(900n);
  });

  it("shares an output with no match by each contributor's normalized training bytes", async () => {
    const { index } = await indexOfRecords([
      record("x1", X, "aaaa   bbbb"),
      record("x2", X, "CCCC"),
      { id: "y1", ...Y, content: { messages: [{ role: "user", content: "dd" }, { role: "assistant", content: "eeeeee\nff" }] } },
    ]);
    const result = attributeOutput(index, "nothing from the training data shows up in this answer", 100n);
    expect(result.method).toBe("fallback");
    expect(result.spans).toEqual([]);
    // x: "aaaa bbbb" (9) + "cccc" (4) = 13; y: "dd" (2) + "eeeeee ff" (9) = 11.
    expect(result.contributors.map((c) => [c.contributorWallet, c.weight])).toEqual([
      [X.contributorWallet, 13],
      [Y.contributorWallet, 11],
    ]);
    expect(result.contributors.map((c) => c.amount)).toEqual(["54", "46"]);
  });
});
