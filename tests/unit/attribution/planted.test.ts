// Planted content: contributor X's records carry distinctive passages among many records of
// others written from the same vocabulary, with a boilerplate sentence every contributor uses.
// An output that reproduces one of X's passages gives X at least 90 % of the span weight; an
// output that shares nothing with X's records gives X nothing by span.
import { describe, expect, it } from "vitest";
import { attributeOutput } from "@/server/attribution/attribute";
import { indexOfRecords, random, type SnapshotRecord } from "./helpers";

const X = { contributorId: "00000000-0000-4000-8000-00000000000a", contributorWallet: "0x000000000000000000000000000000000000000a" };
const Y = { contributorId: "00000000-0000-4000-8000-00000000000b", contributorWallet: "0x000000000000000000000000000000000000000b" };
const Z = { contributorId: "00000000-0000-4000-8000-00000000000c", contributorWallet: "0x000000000000000000000000000000000000000c" };

const BOILERPLATE = "Thank you for your question, here is what the guidelines say about it.";
const PLANTED = [
  "The tidal observatory at Kerrow logs seventeen brackish inflows each spring, and the keeper files them under amber.",
  "Cobalt lichens on the north cairn fade within nine days once the wardens stop salting the scree path.",
  "Every ferry ledger from the Vellmar crossing lists its cargo twice, once in tallow marks and once in ink.",
];

const next = random(2026);
const vocabulary = "the a of to and in is it that for on with as was at by an be this from or are which you can not have will but all when there so more about what how".split(" ");
const filler = (words: number) => Array.from({ length: words }, () => vocabulary[Math.floor(next() * vocabulary.length)]).join(" ");

function corpus(): SnapshotRecord[] {
  const records: SnapshotRecord[] = [];
  for (const [who, name] of [
    [X, "x"],
    [Y, "y"],
    [Z, "z"],
  ] as const) {
    for (let i = 0; i < 60; i++) {
      const planted = who === X && i < PLANTED.length ? ` ${PLANTED[i]}` : "";
      records.push({
        id: `${name}${i}`,
        ...who,
        content: { messages: [{ role: "user", content: `Question ${filler(8)}?` }, { role: "assistant", content: `${BOILERPLATE} ${filler(30)}.${planted} ${filler(20)}.` }] },
      });
    }
  }
  return records;
}

const records = corpus();

const shareOf = (result: ReturnType<typeof attributeOutput>, who: typeof X) => result.contributors.find((c) => c.contributorId === who.contributorId)?.share ?? 0;

describe("planted content", () => {
  it("gives the contributor whose passage an output reproduces at least 90 % of the span weight", async () => {
    const { index } = await indexOfRecords(records);
    for (const passage of PLANTED) {
      const output = `Sure. ${BOILERPLATE} Recalling now: ${passage.toLowerCase()} Hope that helps with your trip.`;
      const result = attributeOutput(index, output, 10n ** 18n);
      expect(result.method).toBe("spans");
      // The boilerplate matched too, in all 180 records, so it weighs little; the passage is X's alone.
      expect(result.spans.map((s) => s.df)).toEqual([180, 1]);
      expect(shareOf(result, X)).toBeGreaterThanOrEqual(0.9);
      expect(result.contributors.reduce((sum, c) => sum + BigInt(c.amount), 0n)).toBe(10n ** 18n);
    }
  });

  it("gives a contributor nothing by span for an output that shares nothing with its records", async () => {
    const { index } = await indexOfRecords(records);
    const yRecord = records.find((r) => r.id === "y7")!;
    const yAnswer = (yRecord.content as { messages: { content: string }[] }).messages[1]!.content;
    // A run of Y's own words (after the boilerplate every contributor shares): found in Y's record only.
    const fromY = yAnswer.slice(BOILERPLATE.length + 1).split(" ").slice(0, 25).join(" ");
    const onlyY = attributeOutput(index, `Here goes: ${fromY}`, 1000n);
    expect(onlyY.method).toBe("spans");
    expect(onlyY.spans.every((s) => s.records.every((r) => r.contributorId === Y.contributorId))).toBe(true);
    expect(shareOf(onlyY, X)).toBe(0);

    const unrelated = attributeOutput(index, "Quartz harmonicas rarely survive a winter in the glasshouse, said nobody at all.", 1000n);
    expect(unrelated.method).toBe("fallback");
    expect(unrelated.spans).toEqual([]);
  });
});
