// Recomputing an attribution from public material only — the training snapshots, the index
// hash the platform published, the output — and comparing it with a stored one. The CLI
// (scripts/attribution-verify.ts) prints what this returns.
import { buildIndexFromSnapshots } from "./build";
import { sha256Hex } from "./corpus";
import { attributeOutput, type StoredAttribution } from "./attribute";
import { contributorKey, type Attribution } from "./shares";

export interface VerifyInput {
  /** Snapshot files' bytes, in the index's order (ascending Datanet version id). */
  snapshots: AsyncIterable<Uint8Array>[];
  indexHash: string;
  output: string;
  minWords: number;
  feeAmount: bigint;
  stored?: StoredAttribution;
}

export interface VerifyResult {
  indexHash: string;
  indexHashMatches: boolean;
  attribution: Attribution;
  /** Differences with the stored attribution; empty when it matches (or none was given). */
  differences: string[];
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

export function compareAttributions(stored: StoredAttribution, computed: Attribution, output: string): string[] {
  const diffs: string[] = [];
  if (stored.outputSha256 !== sha256Hex(output)) diffs.push(`the output's sha256 is ${sha256Hex(output)}, the stored attribution was made for ${stored.outputSha256}`);
  if (stored.method !== computed.method) diffs.push(`method: stored ${stored.method}, recomputed ${computed.method}`);
  const spanKey = (s: Attribution["spans"][number]) =>
    `${s.start}-${s.end} words=${s.words} df=${s.df} occurrences=${s.occurrences} weight=${s.weight} records=${s.records.map((r) => r.id).join(",")}`;
  const storedSpans = stored.spans.map(spanKey);
  const computedSpans = computed.spans.map(spanKey);
  for (const s of storedSpans) if (!computedSpans.includes(s)) diffs.push(`stored span not recomputed: ${s}`);
  for (const s of computedSpans) if (!storedSpans.includes(s)) diffs.push(`recomputed span not stored: ${s}`);
  const storedShares = new Map(stored.contributors.map((c) => [contributorKey(c), c]));
  for (const c of computed.contributors) {
    const key = contributorKey(c);
    const s = storedShares.get(key);
    storedShares.delete(key);
    if (!s) diffs.push(`contributor ${key}: recomputed share ${c.share}, none stored`);
    else if (!close(s.share, c.share) || s.amount !== c.amount) diffs.push(`contributor ${key}: stored share ${s.share} amount ${s.amount}, recomputed ${c.share} amount ${c.amount}`);
  }
  for (const key of storedShares.keys()) diffs.push(`contributor ${key}: stored, but has no recomputed share`);
  return diffs;
}

export async function verifyAttribution(input: VerifyInput): Promise<VerifyResult> {
  const built = await buildIndexFromSnapshots(input.snapshots);
  const expected = input.indexHash.replace(/^0x/, "").toLowerCase();
  const attribution = attributeOutput(built.index, input.output, input.feeAmount, input.minWords);
  const differences = input.stored ? compareAttributions(input.stored, attribution, input.output) : [];
  if (input.stored && input.stored.indexHash !== built.indexHash) differences.unshift(`the stored attribution names index ${input.stored.indexHash}, the snapshots build ${built.indexHash}`);
  return { indexHash: built.indexHash, indexHashMatches: built.indexHash === expected, attribution, differences };
}
