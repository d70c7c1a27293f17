// Upload parsing benchmark: the streaming parser (read → validate → hash, as an upload's
// validation pass does) against the naive baseline (read the whole file, split, parse),
// on a generated chat JSONL file. Prints a table and writes bench/results/upload-parse.json.
// Run: npx tsx bench/upload-parse.ts [megabytes=200]
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { parseUpload } from "../server/datanets/parse";
import { contentHash } from "../server/datanets/records";

const megabytes = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(path.join(os.tmpdir(), "tributary-bench-"));
const file = path.join(dir, "chat.jsonl");

async function generate() {
  const out = createWriteStream(file);
  let written = 0;
  for (let i = 0; written < megabytes * 1024 * 1024; i++) {
    const line = `${JSON.stringify({ messages: [{ role: "user", content: `Question ${i}: what does symptom ${i % 977} mean?` }, { role: "assistant", content: `Answer ${i}: ${"it depends on the context of the patient. ".repeat(3)}` }] })}\n`;
    written += line.length;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** Runs `fn` while sampling RSS every 20 ms; returns rows, seconds and peak RSS growth. */
async function measure(fn: () => Promise<number>) {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = process.hrtime.bigint();
  const rows = await fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { rows, seconds, peakMiB: (peak - base) / 2 ** 20 };
}

async function streaming() {
  let rows = 0;
  for await (const result of parseUpload(createReadStream(file), { fileName: "chat.jsonl", format: "chat", kind: "jsonl", jsonlShape: "openai-chat" })) {
    if (result.ok) rows++;
  }
  return rows;
}

async function naive() {
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  const parsed = lines.map((l) => JSON.parse(l) as { messages: { role: "user" | "assistant"; content: string }[] });
  return parsed.map((p) => contentHash(p)).length;
}

async function main() {
  await generate();
  const sizeMiB = statSync(file).size / 2 ** 20;
  const results = { streaming: await measure(streaming), naive: await measure(naive) };
  const rows = Object.entries(results).map(([name, r]) => ({
    name,
    rows: r.rows,
    seconds: Number(r.seconds.toFixed(2)),
    mibPerSecond: Number((sizeMiB / r.seconds).toFixed(1)),
    peakRssGrowthMiB: Number(r.peakMiB.toFixed(0)),
  }));
  console.log(`\nupload parsing, ${sizeMiB.toFixed(0)} MiB chat JSONL (${rows[0]?.rows.toLocaleString()} rows)`);
  console.log(" method     rows        s      MiB/s  peak RSS growth (MiB)");
  for (const r of rows) console.log(` ${r.name.padEnd(10)} ${String(r.rows).padEnd(11)} ${String(r.seconds).padEnd(6)} ${String(r.mibPerSecond).padEnd(6)} ${r.peakRssGrowthMiB}`);
  const out = {
    benchmark: "upload-parse",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    fileMiB: Number(sizeMiB.toFixed(1)),
    baseline: "naive: readFileSync + split + JSON.parse + hash (what a non-streaming importer does)",
    results: rows,
  };
  writeFileSync(path.join("bench", "results", "upload-parse.json"), `${JSON.stringify(out, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  rmSync(dir, { recursive: true, force: true });
  console.error(error);
  process.exit(1);
});
