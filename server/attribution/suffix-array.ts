// Suffix array construction by induced sorting (SA-IS, Nong, Zhang & Chan 2009): linear time,
// typed arrays only, so a 100 MB snapshot builds in seconds without a native dependency.
// The text has a virtual sentinel after its last symbol, smaller than every symbol; nothing
// is appended to the caller's array.

type Text = Uint8Array | Int32Array;

const L = 0;
const S = 1;

/** Suffix types: S when the suffix is smaller than the next one. The last suffix is L (the sentinel follows). */
function classify(s: Text, n: number): Uint8Array {
  const t = new Uint8Array(n);
  for (let i = n - 2; i >= 0; i--) {
    t[i] = s[i]! < s[i + 1]! || (s[i] === s[i + 1] && t[i + 1] === S) ? S : L;
  }
  return t;
}

const isLms = (t: Uint8Array, i: number) => i > 0 && t[i] === S && t[i - 1] === L;

function symbolCounts(s: Text, n: number, k: number): Int32Array {
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[s[i]!]!++;
  return counts;
}

/** Into `bounds`: each symbol's bucket start, or with `ends` its bucket end (exclusive). */
function bucketBounds(counts: Int32Array, bounds: Int32Array, ends: boolean): Int32Array {
  let sum = 0;
  for (let c = 0; c < counts.length; c++) {
    sum += counts[c]!;
    bounds[c] = ends ? sum : sum - counts[c]!;
  }
  return bounds;
}

/**
 * From LMS suffixes placed at their bucket ends (empty slots hold 0), induces the L then the S
 * suffixes. As in Yuta Mori's sais-lite, no type array is read: an entry is stored as ~j when the
 * suffix before it must not be induced by the current pass (its type follows from comparing two
 * adjacent symbols, one cache line, where a type array would cost a second random access); each
 * pass flips what it scanned, so the second pass sees the first pass's refusals as its work.
 */
function induce(s: Text, sa: Int32Array, n: number, counts: Int32Array, bounds: Int32Array) {
  const starts = bucketBounds(counts, bounds, false);
  // The sentinel sorts first; the suffix before it (n - 1) is L. An L suffix's predecessor is S when its symbol is smaller.
  const last = n - 1;
  sa[starts[s[last]!]!++] = last > 0 && s[last - 1]! < s[last]! ? ~last : last;
  for (let i = 0; i < n; i++) {
    let j = sa[i]!;
    sa[i] = ~j;
    if (j > 0) {
      j--;
      const c = s[j]!;
      sa[starts[c]!++] = j > 0 && s[j - 1]! < c ? ~j : j;
    }
  }
  const ends = bucketBounds(counts, bounds, true);
  for (let i = n - 1; i >= 0; i--) {
    let j = sa[i]!;
    if (j > 0) {
      j--;
      const c = s[j]!;
      // An S suffix's predecessor is L when its symbol is larger.
      sa[--ends[c]!] = j === 0 || s[j - 1]! > c ? ~j : j;
    } else {
      sa[i] = ~j;
    }
  }
}

function sameLmsSubstring(s: Text, t: Uint8Array, n: number, p: number, q: number): boolean {
  for (let d = 0; ; d++) {
    // Only the last LMS substring reaches the sentinel, which is unique.
    if (p + d === n || q + d === n) return false;
    if (s[p + d] !== s[q + d] || t[p + d] !== t[q + d]) return false;
    if (d > 0 && (isLms(t, p + d) || isLms(t, q + d))) return isLms(t, p + d) && isLms(t, q + d);
  }
}

function sais(s: Text, n: number, k: number): Int32Array {
  const sa = new Int32Array(n);
  if (n === 0) return sa;
  if (n === 1) {
    sa[0] = 0;
    return sa;
  }
  const t = classify(s, n);
  const counts = symbolCounts(s, n, k);
  const bounds = new Int32Array(k);

  // Stage 1: sort the LMS substrings by one induced pass from their unsorted positions.
  const ends = bucketBounds(counts, bounds, true);
  for (let i = n - 1; i >= 1; i--) if (t[i] === S && t[i - 1] === L) sa[--ends[s[i]!]!] = i;
  induce(s, sa, n, counts, bounds);

  let n1 = 0;
  for (let i = 0; i < n; i++) {
    const p = sa[i]!;
    if (p > 0 && t[p] === S && t[p - 1] === L) sa[n1++] = p;
  }
  sa.fill(0, n1);
  // Name each LMS substring by rank; LMS positions are ≥ 2 apart, so p >> 1 indexes them uniquely.
  let names = 0;
  let previous = -1;
  for (let i = 0; i < n1; i++) {
    const p = sa[i]!;
    if (previous < 0 || !sameLmsSubstring(s, t, n, p, previous)) names++;
    previous = p;
    sa[n1 + (p >> 1)] = names - 1;
  }
  const reduced = new Int32Array(n1);
  const positions = new Int32Array(n1);
  for (let i = 1, j = 0; i < n; i++) {
    if (t[i] !== S || t[i - 1] !== L) continue;
    reduced[j] = sa[n1 + (i >> 1)]!;
    positions[j++] = i;
  }

  // Stage 2: order the LMS suffixes, recursing while two LMS substrings share a name.
  let order: Int32Array;
  if (names * 10 >= n1 * 9 && names < n1) {
    order = nearlyDistinctSuffixArray(reduced, names);
  } else if (names < n1) {
    order = sais(reduced, n1, names);
  } else {
    order = new Int32Array(n1);
    for (let i = 0; i < n1; i++) order[reduced[i]!] = i;
  }

  // Stage 3: place the sorted LMS suffixes at their bucket ends (in reverse, keeping order), induce the rest.
  sa.fill(0);
  const finalEnds = bucketBounds(counts, bounds, true);
  for (let i = n1 - 1; i >= 0; i--) {
    const p = positions[order[i]!]!;
    sa[--finalEnds[s[p]!]!] = p;
  }
  induce(s, sa, n, counts, bounds);
  return sa;
}

/**
 * Prefix doubling (Larsson & Sadakane) for a string whose symbols are nearly all distinct, as the
 * reduced string of word-level text is: one counting sort places every suffix whose first symbol
 * is unique, and only the few groups sharing a first symbol are sorted further, by the rank of
 * the suffix h symbols on (h = 1, 2, 4, …). SA-IS would spend a random access into an
 * alphabet-sized bucket array on every suffix, twice.
 */
export function nearlyDistinctSuffixArray(s: Int32Array, k: number): Int32Array {
  const n = s.length;
  const counts = symbolCounts(s, n, k);
  const starts = bucketBounds(counts, new Int32Array(k), false);
  const sa = new Int32Array(n);
  for (let i = 0; i < n; i++) sa[starts[s[i]!]!++] = i;
  // A suffix's rank is the last index of its group in `sa`: final once the group is one suffix.
  const rank = new Int32Array(n);
  let groups: number[] = [];
  for (let end = 0, c = 0; c < k; c++) {
    const start = end;
    end += counts[c]!;
    for (let x = start; x < end; x++) rank[sa[x]!] = end - 1;
    if (end - start > 1) groups.push(start, end);
  }
  for (let h = 1; groups.length > 0; h *= 2) {
    const next: number[] = [];
    for (let g = 0; g < groups.length; g += 2) {
      const a = groups[g]!;
      const b = groups[g + 1]!;
      // Ranks before this group's update: suffixes past the end sort first (-1).
      const key = (p: number) => (p + h < n ? rank[p + h]! : -1);
      const members = Array.from(sa.subarray(a, b), (p) => [key(p), p] as const).sort((x, y) => x[0] - y[0]);
      for (let x = 0; x < members.length; ) {
        let y = x + 1;
        while (y < members.length && members[y]![0] === members[x]![0]) y++;
        for (let z = x; z < y; z++) {
          sa[a + z] = members[z]![1];
          rank[members[z]![1]] = a + y - 1;
        }
        if (y - x > 1) next.push(a + x, a + y);
        x = y;
      }
    }
    groups = next;
  }
  return sa;
}

/** The suffix array of `text` (byte order, a shorter suffix before its extensions). */
export function suffixArray(text: Uint8Array): Int32Array {
  return sais(text, text.length, 256);
}

/** The suffix array of a sequence of integers in [0, alphabetSize), in the same order. */
export function integerSuffixArray(symbols: Int32Array, alphabetSize: number): Int32Array {
  return sais(symbols, symbols.length, alphabetSize);
}

/** O(n² log n) reference: sorts suffix starts by comparing bytes. For tests and the bench baseline. */
export function naiveSuffixArray(text: Uint8Array): Int32Array {
  const n = text.length;
  const sa = new Int32Array(n);
  for (let i = 0; i < n; i++) sa[i] = i;
  return sa.sort((a, b) => {
    for (let d = 0; ; d++) {
      if (a + d === n) return -1;
      if (b + d === n) return 1;
      const diff = text[a + d]! - text[b + d]!;
      if (diff !== 0) return diff;
    }
  });
}
