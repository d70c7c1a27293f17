// npm run attribution:verify -- --snapshot <file> [--snapshot <file> …] --index-hash <hex> --output <file>
//   [--min-words 6] [--fee <integer>] [--attribution <stored attribution JSON>] [--json]
// Rebuilds a model version's attribution index from its training snapshots (in the index's
// order), checks it against the published index hash, recomputes the output's attribution and
// prints its spans and contributor shares; with --attribution, compares with the stored one.
// Exit status: 0 when everything checked matches, 1 when something differs, 2 on bad usage.
import { createReadStream, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { StoredAttribution } from "@/server/attribution/attribute";
import { DEFAULT_MIN_WORDS } from "@/server/attribution/match";
import { verifyAttribution, type VerifyResult } from "@/server/attribution/verify";

const usage =
  "usage: npm run attribution:verify -- --snapshot <file> [--snapshot <file> …] --index-hash <hex> --output <file> [--min-words 6] [--fee <integer>] [--attribution <file>] [--json]";

function fail(message: string): never {
  console.error(`attribution:verify: ${message}\n${usage}`);
  process.exit(2);
}

function print(result: VerifyResult, output: string) {
  const { attribution } = result;
  console.log(`index hash   ${result.indexHash} ${result.indexHashMatches ? "(matches)" : "(DIFFERS from --index-hash)"}`);
  console.log(`method       ${attribution.method === "spans" ? `spans (${attribution.spans.length})` : "fallback: no span matched, shared by training bytes"}`);
  for (const s of attribution.spans) {
    console.log(`\n  [${s.start}, ${s.end}) ${s.words} words, ${s.bytes} bytes, in ${s.df} record(s), weight ${s.weight.toFixed(3)}`);
    console.log(`    "${output.slice(s.start, s.end).replace(/\s+/g, " ")}"`);
    for (const r of s.records.slice(0, 5)) console.log(`    record ${r.id} (contributor ${r.contributorId ?? "-"}, wallet ${r.contributorWallet ?? "-"})`);
    if (s.records.length > 5) console.log(`    … and ${s.records.length - 5} more records`);
  }
  console.log("\ncontributors");
  for (const c of attribution.contributors) {
    console.log(`  ${(c.share * 100).toFixed(2).padStart(6)} %  ${c.amount.padStart(20)}  ${c.contributorWallet ?? "(no wallet)"}  ${c.contributorId ?? ""}`);
  }
  if (result.differences.length > 0) console.log(`\nstored attribution DIFFERS:\n  ${result.differences.join("\n  ")}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      snapshot: { type: "string", multiple: true },
      "index-hash": { type: "string" },
      output: { type: "string" },
      "min-words": { type: "string" },
      fee: { type: "string" },
      attribution: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (!values.snapshot?.length) fail("--snapshot is required");
  if (!values["index-hash"] || !/^(0x)?[0-9a-fA-F]{64}$/.test(values["index-hash"])) fail("--index-hash must be a 64-digit hex sha256");
  if (!values.output) fail("--output is required");
  const stored = values.attribution ? (JSON.parse(readFileSync(values.attribution, "utf8")) as StoredAttribution) : undefined;
  const minWords = Number(values["min-words"] ?? stored?.minWords ?? DEFAULT_MIN_WORDS);
  if (!Number.isInteger(minWords) || minWords < 1) fail(`--min-words must be a positive integer, not ${values["min-words"]}`);
  const fee = values.fee ?? stored?.feeAmount ?? "0";
  if (!/^\d+$/.test(fee)) fail(`--fee must be a non-negative integer, not ${fee}`);
  const output = readFileSync(values.output, "utf8");
  const result = await verifyAttribution({
    snapshots: values.snapshot.map((file) => createReadStream(file)),
    indexHash: values["index-hash"],
    output,
    minWords,
    feeAmount: BigInt(fee),
    stored,
  });
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else print(result, output);
  process.exit(result.indexHashMatches && result.differences.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(`attribution:verify: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
