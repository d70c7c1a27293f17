// Maximal spans of a model output that occur in the training text, found with the word suffix
// array: for every word of the output, the longest run of whole words starting there that
// occurs in some record (narrowing the suffix-array range one word at a time); a run is kept
// when it has at least `minWords` words and is not inside the run found for an earlier word.
// Starts that can only give runs inside the previous one are skipped (nextStart).
import type { AttributionIndex } from "./corpus";
import { words, type Word } from "./normalize";
import { SPACE } from "./word-suffix-array";

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
  constructor(
    private readonly index: AttributionIndex,
    public lo = 0,
    public hi = index.sa.length,
    private depth = 0,
  ) {}

  /** Sign of (the `word.length + 1` bytes of suffix k from `depth`) − (word, space); the text's end sorts first. */
  private compare(k: number, word: Uint8Array): number {
    const { text } = this.index;
    const p = this.index.sa[k]! + this.depth;
    for (let d = 0; d <= word.length; d++) {
      const want = d < word.length ? word[d]! : SPACE;
      const have = p + d < text.length ? text[p + d]! : -1;
      if (have !== want) return have - want;
    }
    return 0;
  }

  /** Narrows the range to the suffixes that continue with `word` and a space; false when none is left. */
  extend(word: Uint8Array): boolean {
    // Lower bound; what it learns about the upper bound on the way narrows that second search.
    let a = this.lo;
    let z = this.hi;
    let upperFrom = this.lo;
    let upperTo = this.hi;
    while (a < z) {
      const mid = (a + z) >>> 1;
      const c = this.compare(mid, word);
      if (c < 0) a = mid + 1;
      else {
        z = mid;
        if (c > 0) upperTo = mid;
        else upperFrom = mid + 1;
      }
    }
    const lo = a;
    a = Math.max(lo, upperFrom);
    z = upperTo;
    while (a < z) {
      const mid = (a + z) >>> 1;
      if (this.compare(mid, word) <= 0) a = mid + 1;
      else z = mid;
    }
    this.lo = lo;
    this.hi = a;
    this.depth += word.length + 1;
    return lo < a;
  }
}

const PREFIXES_KEPT = 200_000;
/** Per index, the suffix-array ranges of the one- and two-word prefixes that queries have met. */
const prefixRanges = new WeakMap<AttributionIndex, Map<string, { lo: number; hi: number }>>();

/**
 * A cursor past `count` (1 or 2) words from `first`. Its range is remembered: outputs keep
 * starting from common words and pairs, whose ranges are the widest and the slowest to narrow.
 */
function startAt(index: AttributionIndex, ws: Word[], first: number, count: 1 | 2): Cursor {
  let ranges = prefixRanges.get(index);
  if (!ranges) prefixRanges.set(index, (ranges = new Map()));
  const last = ws[first + count - 1]!;
  // Words hold no space, so the joined key names one pair.
  const key = count === 1 ? last.text : `${ws[first]!.text} ${last.text}`;
  let range = ranges.get(key);
  if (!range) {
    const cursor = count === 1 ? new Cursor(index) : startAt(index, ws, first, 1);
    if (cursor.lo < cursor.hi) cursor.extend(last.bytes);
    range = { lo: cursor.lo, hi: cursor.hi };
    if (ranges.size >= PREFIXES_KEPT) ranges.clear();
    ranges.set(key, range);
  }
  const depth = count === 1 ? last.bytes.length + 1 : ws[first]!.bytes.length + last.bytes.length + 2;
  return new Cursor(index, range.lo, range.hi, depth);
}

/** The longest run of whole words from `first` that occurs in the index, with its suffix-array range. */
function longestFrom(index: AttributionIndex, ws: Word[], first: number) {
  let cursor = startAt(index, ws, first, 1);
  if (cursor.lo === cursor.hi) return { words: 0, lo: 0, hi: 0 };
  let best = { words: 1, lo: cursor.lo, hi: cursor.hi };
  if (first + 1 === ws.length) return best;
  cursor = startAt(index, ws, first, 2);
  if (cursor.lo === cursor.hi) return best;
  best = { words: 2, lo: cursor.lo, hi: cursor.hi };
  for (let j = first + 2; j < ws.length && cursor.extend(ws[j]!.bytes); j++) best = { words: j - first + 1, lo: cursor.lo, hi: cursor.hi };
  return best;
}

function occurs(index: AttributionIndex, ws: Word[], first: number, last: number): boolean {
  const cursor = startAt(index, ws, first, last > first ? 2 : 1);
  if (cursor.lo === cursor.hi) return false;
  for (let j = first + 2; j <= last; j++) if (!cursor.extend(ws[j]!.bytes)) return false;
  return true;
}

/**
 * The next start worth trying after the run [first, end). Every start inside the run matches at
 * least up to `end`, and those that match word `end` as well form a tail of (first, end) (a run
 * without its first word still occurs); the starts before that tail give runs inside
 * [first, end), shorter and ending where it ends, so none of them can be kept where the run
 * from `first` was not. The tail's first start, or `end` when the tail is empty — usually known
 * from one check: whether the two words around the cut occur together at all.
 */
function nextStart(index: AttributionIndex, ws: Word[], first: number, end: number): number {
  if (end - first <= 1 || end === ws.length || !occurs(index, ws, end - 1, end)) return Math.max(end, first + 1);
  let a = first + 1;
  let z = end - 1;
  while (a < z) {
    const mid = (a + z) >>> 1;
    if (occurs(index, ws, mid, end)) z = mid;
    else a = mid + 1;
  }
  return a;
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

/** The distinct records holding suffixes lo … hi − 1, ascending. */
function recordsOf(index: AttributionIndex, lo: number, hi: number): number[] {
  const records: number[] = [];
  let recordEnd = -1;
  for (const offset of index.sa.slice(lo, hi).sort()) {
    if (offset < recordEnd) continue;
    const r = recordAt(index, offset);
    records.push(r);
    recordEnd = index.records[r]!.end;
  }
  return records;
}

export function findSpans(index: AttributionIndex, output: string, minWords = DEFAULT_MIN_WORDS): MatchedSpan[] {
  if (!Number.isInteger(minWords) || minWords < 1) throw new Error(`minWords must be a positive integer, not ${minWords}`);
  const ws = words(output);
  const spans: MatchedSpan[] = [];
  let coveredTo = 0;
  for (let i = 0; i + minWords <= ws.length; ) {
    const run = longestFrom(index, ws, i);
    const end = i + run.words;
    const next = nextStart(index, ws, i, end);
    if (run.words < minWords || end <= coveredTo) {
      i = next;
      continue;
    }
    coveredTo = end;
    const text = ws
      .slice(i, end)
      .map((w) => w.text)
      .join(" ");
    spans.push({
      start: ws[i]!.start,
      end: ws[end - 1]!.end,
      words: run.words,
      text,
      bytes: Buffer.byteLength(text),
      occurrences: run.hi - run.lo,
      records: recordsOf(index, run.lo, run.hi),
    });
    i = next;
  }
  return spans;
}
