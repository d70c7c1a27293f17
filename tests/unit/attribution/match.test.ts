import { describe, expect, it } from "vitest";
import { findSpans } from "@/server/attribution/match";
import { normalizeText, trainingPieces } from "@/server/attribution/normalize";
import { indexOfRecords, random, type SnapshotRecord } from "./helpers";

const text = (id: string, t: string): SnapshotRecord => ({ id, content: { text: t } });

describe("normalizeText", () => {
  it("collapses whitespace, lowercases and composes to NFC", () => {
    expect(normalizeText("  The\tCAT\n\n sat\u0000on ")).toBe("the cat sat on");
    expect(normalizeText("Cafe\u0301")).toBe("café".normalize("NFC"));
  });

  it("reads the training pieces of chat, instruction and text records", () => {
    expect(trainingPieces({ messages: [{ role: "user", content: "q" }, { role: "assistant", content: "a" }] })).toEqual(["q", "a"]);
    expect(trainingPieces({ instruction: "i", input: "", output: "o" })).toEqual(["i", "o"]);
    expect(trainingPieces({ instruction: "i", input: "x", output: "o" })).toEqual(["i", "x", "o"]);
    expect(trainingPieces({ text: "t" })).toEqual(["t"]);
    expect(() => trainingPieces({ conversations: [] })).toThrow(/neither chat/);
  });
});

describe("index text", () => {
  it("lays every piece out as 0xFF, a space, then each normalized word and a space, ASCII or not", async () => {
    const next = random(17);
    const chars = ["a", "Q", "z", " ", "\t", "\n", "\r", "\v", "\f", "\u0000", "\u0001", "!", "~", "É", "\u00a0", "\u2003", "ß", "İ", "ΟΣ"];
    for (let trial = 0; trial < 300; trial++) {
      // Every third piece ASCII only: those take the fast path.
      const pool = trial % 3 === 0 ? chars.slice(0, 13) : chars;
      const pieces = Array.from({ length: 1 + Math.floor(next() * 3) }, () => Array.from({ length: Math.floor(next() * 25) }, () => pool[Math.floor(next() * pool.length)]).join(""));
      const { index } = await indexOfRecords([{ id: "r", content: { messages: pieces.map((content) => ({ role: "user", content })) } }]);
      const expected = Buffer.concat(pieces.map((p) => Buffer.concat([Buffer.from([0xff, 0x20]), Buffer.from(normalizeText(p).split(" ").filter(Boolean).map((w) => `${w} `).join(""))])));
      expect(Buffer.from(index.text).equals(expected), `trial ${trial}: ${JSON.stringify(pieces)}`).toBe(true);
      expect(index.records[0]!.bytes).toBe(pieces.reduce((sum, p) => sum + Buffer.byteLength(normalizeText(p)), 0));
    }
  });
});

describe("findSpans", () => {
  it("finds a reproduced passage despite case, spacing and Unicode form, with offsets in the original output", async () => {
    const { index } = await indexOfRecords([text("r1", "Der Café  serves\ncoffee ÉCLAIRS and tea every single day."), text("r2", "Nothing to see here at all today.")]);
    const output = "Well: der CAFE\u0301 serves coffee e\u0301clairs and TEA every   day.";
    const spans = findSpans(index, output, 4);
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(output.slice(span!.start, span!.end)).toBe("der CAFE\u0301 serves coffee e\u0301clairs and TEA every");
    expect(span!.words).toBe(8);
    expect(span!.text).toBe("der café serves coffee éclairs and tea every");
    expect(span!.bytes).toBe(Buffer.byteLength(span!.text));
    expect(span!.records.map((r) => index.records[r]!.id)).toEqual(["r1"]);
  });

  it("matches whole words only and never across two turns or two records", async () => {
    const { index } = await indexOfRecords([
      { id: "c", content: { messages: [{ role: "user", content: "one two three" }, { role: "assistant", content: "four five six" }] } },
      text("t1", "alpha beta gamma"),
      text("t2", "delta epsilon zeta"),
    ]);
    expect(findSpans(index, "one two three four five six", 4)).toEqual([]);
    expect(findSpans(index, "alpha beta gamma delta epsilon zeta", 4)).toEqual([]);
    expect(findSpans(index, "alph beta gamma", 2).map((s) => s.text)).toEqual(["beta gamma"]);
    expect(findSpans(index, "xalpha beta gammax", 2)).toEqual([]);
    expect(findSpans(index, "one two three", 3).map((s) => s.text)).toEqual(["one two three"]);
  });

  it("respects the minimum length and reports overlapping maximal spans once each", async () => {
    const { index } = await indexOfRecords([text("a", "a b c d e f"), text("b", "d e f g h i")]);
    expect(findSpans(index, "a b c d e f g h i", 7)).toEqual([]);
    const spans = findSpans(index, "a b c d e f g h i", 3);
    expect(spans.map((s) => [s.text, s.records.map((r) => index.records[r]!.id)])).toEqual([
      ["a b c d e f", ["a"]],
      ["d e f g h i", ["b"]],
    ]);
    expect(() => findSpans(index, "a", 0)).toThrow(/minWords/);
  });

  it("counts every occurrence and each record once", async () => {
    const { index } = await indexOfRecords([text("a", "x y z x y z"), text("b", "x y z"), text("c", "q x y z")]);
    const [span] = findSpans(index, "x y z", 3);
    expect(span!.occurrences).toBe(4);
    expect(span!.records.map((r) => index.records[r]!.id)).toEqual(["a", "b", "c"]);
  });

  it("equals a brute-force word search on random corpora", async () => {
    const next = random(3);
    const vocab = ["a", "b", "c", "Dé", "e", "ff"];
    const pick = () => vocab[Math.floor(next() * vocab.length)]!;
    let found = 0;
    for (let trial = 0; trial < 40; trial++) {
      const records = Array.from({ length: 1 + Math.floor(next() * 6) }, (_, r) => text(`r${r}`, Array.from({ length: 1 + Math.floor(next() * 12) }, pick).join(" ")));
      const pieces = records.map((r) => normalizeText((r.content as { text: string }).text).split(" "));
      const output = Array.from({ length: Math.floor(next() * 15) }, pick).join(next() < 0.5 ? " " : "\n");
      const minWords = 1 + Math.floor(next() * 3);
      const { index } = await indexOfRecords(records);

      const ws = normalizeText(output).split(" ").filter(Boolean);
      const occurs = (seq: string[]) => pieces.flatMap((p, r) => (p.some((_, s) => seq.every((w, k) => p[s + k] === w)) ? [r] : []));
      const expected: { text: string; records: number[] }[] = [];
      let covered = 0;
      for (let i = 0; i < ws.length; i++) {
        let k = 0;
        while (i + k < ws.length && occurs(ws.slice(i, i + k + 1)).length > 0) k++;
        if (k >= minWords && i + k > covered) {
          covered = i + k;
          expected.push({ text: ws.slice(i, i + k).join(" "), records: occurs(ws.slice(i, i + k)) });
        }
      }
      const actual = findSpans(index, output, minWords).map((s) => ({ text: s.text, records: s.records }));
      expect(actual, `trial ${trial}: ${output}`).toEqual(expected);
      found += expected.length;
    }
    // The corpora are small enough that many outputs match: the comparison is not vacuous.
    expect(found).toBeGreaterThan(20);
  });
});
