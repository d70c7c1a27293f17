import { describe, expect, it } from "vitest";
import { integerSuffixArray, naiveSuffixArray, nearlyDistinctSuffixArray, suffixArray } from "@/server/attribution/suffix-array";
import { SEPARATOR, SPACE, wordSuffixArray } from "@/server/attribution/word-suffix-array";
import { indexOfRecords, random } from "./helpers";

const encode = (s: string) => new TextEncoder().encode(s);

/** The definition itself: every adjacent pair of suffixes in increasing byte order. */
function isSorted(text: Uint8Array, sa: Int32Array) {
  const suffix = (i: number) => Buffer.from(text.subarray(i));
  for (let k = 1; k < sa.length; k++) if (Buffer.compare(suffix(sa[k - 1]!), suffix(sa[k]!)) >= 0) return false;
  return new Set(sa).size === text.length;
}

describe("suffixArray (SA-IS)", () => {
  it("handles the empty text, one byte and runs of one byte", () => {
    expect([...suffixArray(new Uint8Array(0))]).toEqual([]);
    expect([...suffixArray(encode("a"))]).toEqual([0]);
    expect([...suffixArray(encode("aaaa"))]).toEqual([3, 2, 1, 0]);
    expect([...suffixArray(encode("banana"))]).toEqual([5, 3, 1, 0, 4, 2]);
  });

  it("equals the naive sort on random texts over small and full alphabets", () => {
    const next = random(7);
    for (let trial = 0; trial < 600; trial++) {
      const n = Math.floor(next() * 200);
      const alphabet = trial % 3 === 0 ? 256 : 1 + Math.floor(next() * 4);
      const offset = trial % 2 === 0 ? 0 : 256 - alphabet;
      const text = Uint8Array.from({ length: n }, () => offset + Math.floor(next() * alphabet));
      expect([...suffixArray(text)], `trial ${trial}`).toEqual([...naiveSuffixArray(text)]);
    }
  });

  it("sorts the UTF-8 bytes of random Unicode text (accents, CJK, emoji, separators)", () => {
    const next = random(11);
    const pieces = ["é", "e\u0301", "東京", "🙂", "a", "b", " ", "\u00ff", "ÿ", "\n"];
    for (let trial = 0; trial < 200; trial++) {
      const s = Array.from({ length: Math.floor(next() * 60) }, () => pieces[Math.floor(next() * pieces.length)]).join("");
      const text = encode(s);
      const sa = suffixArray(text);
      expect([...sa]).toEqual([...naiveSuffixArray(text)]);
      expect(isSorted(text, sa)).toBe(true);
    }
  });

  it("sorts periodic and repetitive text (deep recursion) as the definition says", () => {
    const text = encode("abcabcabcabcxabcabcabcabcabc".repeat(40) + "the cat sat on the mat. ".repeat(50));
    const sa = suffixArray(text);
    expect(isSorted(text, sa)).toBe(true);
    expect([...sa]).toEqual([...naiveSuffixArray(text)]);
  });
});

describe("integer suffix arrays", () => {
  /** Suffix starts sorted by comparing the integer sequences, a shorter suffix first. */
  const naive = (s: Int32Array) =>
    Array.from(s.keys()).sort((a, b) => {
      for (let d = 0; ; d++) {
        if (a + d === s.length) return -1;
        if (b + d === s.length) return 1;
        if (s[a + d] !== s[b + d]) return s[a + d]! - s[b + d]!;
      }
    });

  it("prefix doubling and SA-IS both equal the definition on nearly distinct, repetitive and periodic sequences", () => {
    const next = random(19);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(next() * 300);
      const k = trial % 3 === 0 ? n : trial % 3 === 1 ? 1 + Math.floor(next() * 4) : 1 + Math.floor(n * (0.5 + next() / 2));
      const symbols = Int32Array.from({ length: n }, (_, i) => (trial % 5 === 4 ? i % k : Math.floor(next() * k)));
      const expected = naive(symbols);
      expect([...nearlyDistinctSuffixArray(symbols, k)], `trial ${trial}`).toEqual(expected);
      expect([...integerSuffixArray(symbols, k)], `trial ${trial}`).toEqual(expected);
    }
  });

  it("SA-IS hands a nearly distinct reduced string to prefix doubling and still sorts long repeats", () => {
    // Words repeated in long runs: the reduced string after the first level repeats too.
    const next = random(23);
    const phrase = Int32Array.from({ length: 400 }, () => Math.floor(next() * 5000));
    const symbols = new Int32Array(3000);
    for (let i = 0; i < symbols.length; i++) symbols[i] = i % 1000 < 400 ? phrase[i % 1000]! : Math.floor(next() * 5000);
    expect([...integerSuffixArray(symbols, 5000)]).toEqual(naive(symbols));
  });
});

describe("wordSuffixArray", () => {
  /** The full suffix array's entries that start a word (after a space, not at a separator). */
  const wordStartsOf = (text: Uint8Array) => [...naiveSuffixArray(text)].filter((p) => p > 0 && text[p - 1] === SPACE && text[p] !== SEPARATOR);

  it("orders the suffixes that start a word as the full byte-level suffix array does", async () => {
    const next = random(13);
    const vocab = ["a", "ab", "b", "ba", "é", "e\u0301", "Z", "a\u0001", "🙂", "ab,"];
    for (let trial = 0; trial < 150; trial++) {
      const records = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, r) => ({
        id: `r${r}`,
        content: { text: Array.from({ length: Math.floor(next() * 20) }, () => vocab[Math.floor(next() * vocab.length)]).join(next() < 0.5 ? " " : "\n") },
      }));
      const { index } = await indexOfRecords(records);
      expect([...wordSuffixArray(index.text)], `trial ${trial}`).toEqual(wordStartsOf(index.text));
    }
  });

  it("sorts long repeats (deep SA-IS recursion over word ranks) and refuses text not laid out in tokens", async () => {
    const { index } = await indexOfRecords([{ id: "r", content: { text: "to be or not to be, ".repeat(300) + "that is the question" } }]);
    expect([...index.sa]).toEqual(wordStartsOf(index.text));
    expect(() => wordSuffixArray(encode("\u00ff word"))).toThrow(/does not end in a space/);
    expect(() => wordSuffixArray(encode("a  b "))).toThrow(/empty token at byte 2/);
  });
});
