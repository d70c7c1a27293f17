// Maximal spans of a model output that occur in the training text, found with the suffix
// array: for every word of the output, the longest run of whole words starting there that
// occurs in some record (narrowing the suffix-array range one byte at a time); a run is kept
// when it has at least `minWords` words and is not inside the run found for an earlier word.
import type { AttributionIndex } from "./corpus";
import { SPACE } from "./corpus";
import { words, type Word } from "./normalize";

export const DEFAULT_MIN_WORDS = 6;

export interface MatchedSpan {
  /** UTF-16 offsets in the output, end exclusive. */
  start: number;
  end: number;
  words: number;
  /** The normalized span (words joined by one space). */
  text: string;
  /** UTF-8 bytes of `text`: the span's length in the weights. */
  bytes: number;
  /** Occurrences in the index text; `records` holds the distinct records (indexes into the index's table, ascending). */
  occurrences: number;
  records: number[];
}

/** A suffix-array range whose suffixes all start with the `depth` bytes matched so far. */
class Cursor {
  lo = 0;
  hi: number;
  depth = 0;
  constructor(private readonly index: AttributionIndex) {
    this.hi = index.sa.length;
  }

  private byteAt(k: number): number {
    const p = this.index.sa[k]! + this.depth;
    return p < this.index.text.length ? this.index.text[p]! : -1;
  }

  /** Narrows the range to the suffixes whose next byte is `b`; false when none is left. */
  extend(b: number): boolean {
    let { lo, hi } = this;
    if (hi - lo === 1) {
      // One suffix left: compare in place instead of searching.
      if (this.byteAt(lo) !== b) hi = lo;
    } else {
      let a = lo;
      let z = hi;
      while (a < z) {
        const mid = (a + z) >>> 1;
        if (this.byteAt(mid) < b) a = mid + 1;
        else z = mid;
      }
      lo = a;
      z = hi;
      while (a < z) {
        const mid = (a + z) >>> 1;
        if (this.byteAt(mid) <= b) a = mid + 1;
        else z = mid;
      }
      hi = a;
    }
    this.lo = lo;
    this.hi = hi;
    this.depth++;
    return lo < hi;
  }

  extendAll(bytes: Uint8Array): boolean {
    for (const b of bytes) if (!this.extend(b)) return false;
    return true;
  }
}

/** The longest run of whole words from `first` that occurs in the index, with its suffix-array range. */
function longestFrom(index: AttributionIndex, ws: Word[], first: number) {
  const cursor = new Cursor(index);
  let best = { words: 0, lo: 0, hi: 0 };
  if (!cursor.extend(SPACE)) return best;
  for (let j = first; j < ws.length; j++) {
    if (!cursor.extendAll(ws[j]!.bytes) || !cursor.extend(SPACE)) break;
    best = { words: j - first + 1, lo: cursor.lo, hi: cursor.hi };
  }
  return best;
}

/** Index of the record holding byte `offset` of the index text. */
export function recordAt(index: AttributionIndex, offset: number): number {
  let a = 0;
  let z = index.starts.length - 1;
  while (a < z) {
    const mid = (a + z + 1) >>> 1;
    if (index.starts[mid]! <= offset) a = mid;
    else z = mid - 1;
  }
  return a;
}

export function findSpans(index: AttributionIndex, output: string, minWords = DEFAULT_MIN_WORDS): MatchedSpan[] {
  if (!Number.isInteger(minWords) || minWords < 1) throw new Error(`minWords must be a positive integer, not ${minWords}`);
  const ws = words(output);
  const spans: MatchedSpan[] = [];
  const decoder = new TextDecoder();
  let coveredTo = 0;
  for (let i = 0; i + minWords <= ws.length; i++) {
    const run = longestFrom(index, ws, i);
    const end = i + run.words;
    if (run.words < minWords || end <= coveredTo) continue;
    coveredTo = end;
    const records = new Set<number>();
    for (let k = run.lo; k < run.hi; k++) records.add(recordAt(index, index.sa[k]!));
    const text = ws
      .slice(i, end)
      .map((w) => decoder.decode(w.bytes))
      .join(" ");
    spans.push({
      start: ws[i]!.start,
      end: ws[end - 1]!.end,
      words: run.words,
      text,
      bytes: Buffer.byteLength(text),
      occurrences: run.hi - run.lo,
      records: [...records].sort((a, b) => a - b),
    });
  }
  return spans;
}
