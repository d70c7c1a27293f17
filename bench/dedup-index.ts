// Memory and speed of the within-file duplicate index on N distinct sha256 hashes:
// HashLines (typed arrays, server/datanets/hash-lines.ts) against the Map of 16-byte latin1
// keys it replaced, each in a fresh child process. `npm run bench:dedup-index -- 4000000`
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { HashLines } from "@/server/datanets/hash-lines";

const rows = Number(process.argv[2] ?? 4_000_000);
const variant = process.argv[3];

function measure(kind: string) {
  const hashes = (i: number) => createHash("sha256").update(`row ${i}`).digest("hex");
  global.gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  if (kind === "map") {
    const seen = new Map<string, number>();
    for (let i = 1; i <= rows; i++) seen.set(Buffer.from(hashes(i).slice(0, 32), "hex").toString("latin1"), i);
    global.gc?.();
    const after = process.memoryUsage();
    return { seconds: (performance.now() - started) / 1000, retainedMiB: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20, size: seen.size };
  }
  const seen = new HashLines();
  for (let i = 1; i <= rows; i++) seen.set(hashes(i), i);
  global.gc?.();
  const after = process.memoryUsage();
  return { seconds: (performance.now() - started) / 1000, retainedMiB: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20, size: seen.size };
}

if (variant) {
  console.log(JSON.stringify(measure(variant)));
} else {
  const results: Record<string, { seconds: number; retainedMiB: number; size: number }> = {};
  for (const kind of ["map", "hash-lines"]) {
    const child = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=4096", ...process.execArgv.filter((a) => !a.startsWith("--expose-gc")), process.argv[1]!, String(rows), kind], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(child.stderr);
    results[kind] = JSON.parse(child.stdout.trim().split("\n").pop()!);
  }
  console.log(`\n${rows.toLocaleString("en-US")} distinct hashes`);
  console.log(`${"index".padEnd(28)} ${"retained MiB".padStart(13)} ${"B/row".padStart(7)} ${"seconds".padStart(8)}`);
  for (const [kind, r] of Object.entries(results)) {
    const name = kind === "map" ? "Map<latin1 key, line> (before)" : "HashLines (typed arrays)";
    console.log(`${name.padEnd(28)} ${r.retainedMiB.toFixed(0).padStart(13)} ${((r.retainedMiB * 2 ** 20) / rows).toFixed(0).padStart(7)} ${r.seconds.toFixed(1).padStart(8)}`);
  }
  const out = path.join(import.meta.dirname, "results", "dedup-index.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ benchmark: "bench/dedup-index.ts", machine: `${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`, rows, results }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}
