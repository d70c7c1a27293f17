// Attribution index build speed and query latency on a generated snapshot (chat and text
// records of Zipf-distributed words, 40 contributors), against the byte-level index it
// replaced — SA-IS over every byte of the text, and per-byte narrowing from every output word —
// and, when libdivsufsort is installed, the C reference sorting the same text. Queries are
// 256-token (~1,200-byte) outputs: copied passages among new text ("mixed"), new text only, one
// copied passage; both query paths must return the same spans. Prints a table and writes
// bench/results/attribution.json. Run: npm run bench:attribution -- [megabytes=100]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildIndexFromSnapshots } from "@/server/attribution/build";
import type { AttributionIndex } from "@/server/attribution/corpus";
import { findSpans, recordAt, type MatchedSpan } from "@/server/attribution/match";
import { words } from "@/server/attribution/normalize";
import { weighSpans } from "@/server/attribution/shares";
import { suffixArray } from "@/server/attribution/suffix-array";
import { SPACE, wordSuffixArray } from "@/server/attribution/word-suffix-array";

const megabytes = Number(process.argv[2] ?? 100);
const QUERIES_PER_KIND = 400;
const MIN_WORDS = 6;

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = mulberry32(20261124);
const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;

// 60,000 pronounceable words drawn with Zipf frequencies (rank r weighs 1 / (r + 3)).
const syllables = "ba be bi bo bu da de di do du fa fe fi ka ke ko la le li lo lu ma me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi an en in on ar er or al el il st tr th ch sh".split(" ");
const vocabulary = Array.from({ length: 60_000 }, () => Array.from({ length: 1 + Math.floor(next() * 3.5) }, () => pick(syllables)).join(""));
const cumulative = new Float64Array(vocabulary.length);
vocabulary.reduce((sum, _, r) => (cumulative[r] = sum + 1 / (r + 3)), 0);
function word() {
  const x = next() * cumulative[cumulative.length - 1]!;
  let a = 0;
  let z = cumulative.length - 1;
  while (a < z) {
    const mid = (a + z) >>> 1;
    if (cumulative[mid]! < x) a = mid + 1;
    else z = mid;
  }
  return vocabulary[a]!;
}
function sentence() {
  const ws = Array.from({ length: 6 + Math.floor(next() * 18) }, word);
  ws[0] = ws[0]![0]!.toUpperCase() + ws[0]!.slice(1);
  if (ws.length > 10 && next() < 0.5) ws[5] += ",";
  return `${ws.join(" ")}${next() < 0.15 ? "?" : "."}`;
}
const paragraph = (sentences: number) => Array.from({ length: sentences }, sentence).join(" ");

const contributors = Array.from({ length: 40 }, (_, i) => ({
  contributorId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
  contributorWallet: `0x${(i + 1).toString(16).padStart(40, "0")}`,
}));

/** The snapshot as its JSONL bytes in 1 MiB chunks, and every record's training texts (for copying). */
function generateSnapshot() {
  const chunks: Buffer[] = [];
  const texts: string[] = [];
  let pending: string[] = [];
  let size = 0;
  let pendingSize = 0;
  for (let i = 0; size < megabytes * 1e6; i++) {
    const answer = paragraph(2 + Math.floor(next() * 12));
    const content = next() < 0.7 ? { messages: [{ role: "user", content: sentence() }, { role: "assistant", content: answer }] } : { text: answer };
    texts.push(answer);
    const line = `${JSON.stringify({ id: `rec-${i}`, contentHash: i.toString(16).padStart(64, "0"), ...contributors[Math.floor(next() ** 2 * contributors.length)]!, content })}\n`;
    pending.push(line);
    pendingSize += line.length;
    size += line.length;
    if (pendingSize >= 1 << 20) {
      chunks.push(Buffer.from(pending.join("")));
      pending = [];
      pendingSize = 0;
    }
  }
  chunks.push(Buffer.from(pending.join("")));
  return { chunks, texts, bytes: size };
}

/** ~1,200 bytes (256 tokens) of output. */
function output(kind: "mixed" | "new" | "copied", texts: string[]) {
  const excerpt = (count: number) => {
    let source = pick(texts).split(" ");
    while (source.length < count) source = pick(texts).split(" ");
    const from = Math.floor(next() * (source.length - count + 1));
    return source.slice(from, from + count).join(" ");
  };
  let out = "";
  while (out.length < 1200) {
    if (kind === "copied") out += `${excerpt(Math.min(60, Math.ceil((1250 - out.length) / 6)))} `;
    else if (kind === "mixed" && next() < 0.4) out += `${excerpt(8 + Math.floor(next() * 30))} `;
    else out += `${sentence()} `;
  }
  return out.slice(0, 1200);
}

/**
 * The query path it replaced, over the byte-level suffix array: from every output word, narrow
 * one byte at a time (a space, then the word's bytes and a space, per word).
 */
function byteLevelSpans(index: AttributionIndex, outputText: string, minWords: number): MatchedSpan[] {
  const { text, sa } = index;
  const ws = words(outputText);
  const spans: MatchedSpan[] = [];
  const decoder = new TextDecoder();
  let coveredTo = 0;
  for (let i = 0; i + minWords <= ws.length; i++) {
    let lo = 0;
    let hi = sa.length;
    let depth = 0;
    const extend = (b: number) => {
      const at = (k: number) => (sa[k]! + depth < text.length ? text[sa[k]! + depth]! : -1);
      let a = lo;
      let z = hi;
      while (a < z) {
        const mid = (a + z) >>> 1;
        if (at(mid) < b) a = mid + 1;
        else z = mid;
      }
      lo = a;
      z = hi;
      while (a < z) {
        const mid = (a + z) >>> 1;
        if (at(mid) <= b) a = mid + 1;
        else z = mid;
      }
      hi = a;
      depth++;
      return lo < hi;
    };
    let best = { words: 0, lo: 0, hi: 0 };
    if (extend(SPACE)) {
      for (let j = i; j < ws.length; j++) {
        if (!ws[j]!.bytes.every(extend) || !extend(SPACE)) break;
        best = { words: j - i + 1, lo, hi };
      }
    }
    const end = i + best.words;
    if (best.words < minWords || end <= coveredTo) continue;
    coveredTo = end;
    const records = new Set<number>();
    for (let k = best.lo; k < best.hi; k++) records.add(recordAt(index, sa[k]!));
    const spanText = ws
      .slice(i, end)
      .map((w) => decoder.decode(w.bytes))
      .join(" ");
    spans.push({ start: ws[i]!.start, end: ws[end - 1]!.end, words: best.words, text: spanText, bytes: Buffer.byteLength(spanText), occurrences: best.hi - best.lo, records: [...records].sort((a, b) => a - b) });
  }
  return spans;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Took {
  wallMs: number;
  /** This process's CPU time (all its threads): what other work on a shared machine does not stretch. */
  cpuMs: number;
}

function time<T>(fn: () => T): [T, Took] {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = fn();
  const used = process.cpuUsage(cpu);
  return [result, { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 }];
}

/** libdivsufsort on the same text, when it and a C compiler are installed. */
function divsufsort(text: Uint8Array): Took | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tributary-bench-"));
  try {
    const binary = path.join(dir, "divsufsort");
    const built = spawnSync("cc", ["-O2", "-o", binary, path.join(import.meta.dirname, "attribution-divsufsort.c"), "-ldivsufsort"], { encoding: "utf8" });
    if (built.status !== 0) return null;
    writeFileSync(path.join(dir, "text.bin"), text);
    const run = spawnSync(binary, [path.join(dir, "text.bin")], { encoding: "utf8" });
    if (run.status !== 0) return null;
    const [wall, cpu] = run.stdout.trim().split(/\s+/).map(Number);
    return { wallMs: wall! * 1000, cpuMs: cpu! * 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

async function main() {
  const loadAtStart = os.loadavg()[0]!;
  const mb = (bytes: number) => bytes / 1e6;
  console.log(`generating a ${megabytes} MB snapshot…`);
  const { chunks, texts, bytes } = generateSnapshot();

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const built = await buildIndexFromSnapshots([
    (async function* () {
      yield* chunks;
    })(),
  ]);
  const cpuUsed = process.cpuUsage(cpuBefore);
  const build: Took = { wallMs: performance.now() - started, cpuMs: (cpuUsed.user + cpuUsed.system) / 1000 };
  const buildRssMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  const { index } = built;
  global.gc?.();
  const [, wordSort] = time(() => wordSuffixArray(index.text));
  console.log(`built: ${mb(bytes).toFixed(1)} MB snapshot, ${mb(index.text.length).toFixed(1)} MB text, ${index.records.length.toLocaleString("en-US")} records, ${index.sa.length.toLocaleString("en-US")} words`);

  console.log("baseline: SA-IS over every byte…");
  global.gc?.();
  const [byteSa, byteSort] = time(() => suffixArray(index.text));
  const byteIndex: AttributionIndex = { ...index, sa: byteSa };
  console.log("reference: libdivsufsort…");
  const cSort = divsufsort(index.text);

  const kinds = ["mixed", "new", "copied"] as const;
  const latencies: Record<string, { ours: Took[]; baseline: Took[]; spans: number }> = {};
  for (const kind of kinds) {
    const outputs = Array.from({ length: QUERIES_PER_KIND }, () => output(kind, texts));
    for (const o of outputs.slice(0, 20)) findSpans(index, o, MIN_WORDS);
    const entry = { ours: [] as Took[], baseline: [] as Took[], spans: 0 };
    // One path at a time, so neither pays for the other's garbage.
    const ours = outputs.map((o) => {
      const [result, took] = time(() => weighSpans(index, findSpans(index, o, MIN_WORDS), 10n ** 18n));
      entry.ours.push(took);
      entry.spans += result.spans.length;
      return JSON.stringify(result);
    });
    outputs.forEach((o, i) => {
      const [theirs, took] = time(() => weighSpans(byteIndex, byteLevelSpans(byteIndex, o, MIN_WORDS), 10n ** 18n));
      entry.baseline.push(took);
      if (JSON.stringify(theirs) !== ours[i]) throw new Error(`the two query paths disagree on output:\n${o}`);
    });
    latencies[kind] = entry;
  }
  const ms = (took: Took[], of: keyof Took) => took.map((t) => t[of]).sort((a, b) => a - b);
  const all = Object.values(latencies).flatMap((l) => l.ours);

  const textMB = mb(index.text.length);
  const rate = (megabytes: number, took: Took | null) => (took === null ? null : { wall: megabytes / (took.wallMs / 1000), cpu: megabytes / (took.cpuMs / 1000) });
  const rates = { build: rate(mb(bytes), build)!, word: rate(textMB, wordSort)!, byte: rate(textMB, byteSort)!, c: rate(textMB, cSort) };
  const pair = (r: { wall: number; cpu: number } | null, unit: string) => (r === null ? "not installed" : `${r.wall.toFixed(1)} / ${r.cpu.toFixed(1)} ${unit}`);
  const p = (took: Took[], of: keyof Took) => `${percentile(ms(took, of), 50).toFixed(3)} / ${percentile(ms(took, of), 99).toFixed(3)}`;
  const rows: [string, string, string][] = [
    ["full build (parse, normalize, word SA, hashes), snapshot MB per s", pair(rates.build, "MB/s"), `${(build.wallMs / 1000).toFixed(1)} s, +${buildRssMiB.toFixed(0)} MiB RSS`],
    ["suffix sort: word suffix array (ours), text MB per s", pair(rates.word, "MB/s"), `${((index.sa.length * 4) / index.text.length).toFixed(2)} index bytes per text byte`],
    ["suffix sort: SA-IS over every byte (before), text MB per s", pair(rates.byte, "MB/s"), "4 index bytes per text byte"],
    ["suffix sort: libdivsufsort (C, one core), text MB per s", pair(rates.c, "MB/s"), "4 index bytes per text byte"],
  ];
  for (const kind of kinds) {
    const l = latencies[kind]!;
    rows.push([`query ${kind} (${l.spans} spans in ${QUERIES_PER_KIND}): ours p50 / p99`, `${p(l.ours, "wallMs")} ms`, `CPU ${p(l.ours, "cpuMs")} ms; before: ${p(l.baseline, "wallMs")} ms`]);
  }
  rows.push(["query, all kinds: ours p50 / p99", `${p(all, "wallMs")} ms`, `CPU ${p(all, "cpuMs")} ms; goal ≤ 2 / ≤ 10 ms`]);
  console.log(`\n${"rates: wall / CPU time".padEnd(66)} ${"result".padStart(22)}  notes`);
  for (const [name, value, note] of rows) console.log(`${name.padEnd(66)} ${value.padStart(22)}  ${note}`);

  const cpus = os.cpus();
  console.log(`load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${os.loadavg()[0]!.toFixed(2)} on ${cpus.length} cores`);
  const result = {
    benchmark: "bench/attribution.ts",
    date: new Date().toISOString(),
    machine: `${cpus[0]?.model.trim() ?? "cpu"} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    // Other work shares this machine: its load says how much of the cores the bench had, and
    // the *_cpu_* figures (this process's CPU time) are what that load does not stretch.
    load_average_1m: { start: round(loadAtStart), end: round(os.loadavg()[0]!) },
    snapshot_mb: round(mb(bytes), 1),
    text_mb: round(textMB, 1),
    records: index.records.length,
    words: index.sa.length,
    build_mb_per_s: round(rates.build.wall),
    build_mb_per_cpu_s: round(rates.build.cpu),
    build_seconds: round(build.wallMs / 1000),
    build_rss_growth_mib: Math.round(buildRssMiB),
    word_sort_text_mb_per_s: round(rates.word.wall),
    word_sort_text_mb_per_cpu_s: round(rates.word.cpu),
    byte_sais_text_mb_per_s: round(rates.byte.wall),
    byte_sais_text_mb_per_cpu_s: round(rates.byte.cpu),
    divsufsort_text_mb_per_s: rates.c === null ? null : round(rates.c.wall),
    divsufsort_text_mb_per_cpu_s: rates.c === null ? null : round(rates.c.cpu),
    query_output_bytes: 1200,
    query_min_words: MIN_WORDS,
    query_p50_ms: round(percentile(ms(all, "wallMs"), 50), 4),
    query_p99_ms: round(percentile(ms(all, "wallMs"), 99), 4),
    query_cpu_p50_ms: round(percentile(ms(all, "cpuMs"), 50), 4),
    query_cpu_p99_ms: round(percentile(ms(all, "cpuMs"), 99), 4),
    queries: Object.fromEntries(
      Object.entries(latencies).map(([kind, l]) => [
        kind,
        {
          count: l.ours.length,
          spans: l.spans,
          p50_ms: round(percentile(ms(l.ours, "wallMs"), 50), 4),
          p99_ms: round(percentile(ms(l.ours, "wallMs"), 99), 4),
          byte_level_p50_ms: round(percentile(ms(l.baseline, "wallMs"), 50), 4),
          byte_level_p99_ms: round(percentile(ms(l.baseline, "wallMs"), 99), 4),
        },
      ]),
    ),
  };
  const out = path.join(import.meta.dirname, "results", "attribution.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
