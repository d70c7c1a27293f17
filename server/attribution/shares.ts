// From matched spans to contributor shares and amounts.
//
// Weights (only +, ×, ÷ on doubles in a fixed order, so every machine gets the same numbers):
// - a span of `bytes` normalized bytes found in `df` distinct records weighs bytes / df in
//   total (rarity 1/df: a passage many records share says little about any one of them), split
//   equally among those records: each gets bytes / df²;
// - a record's weight is the sum over spans in output order; a contributor's — the pair
//   (contributor id, wallet) the snapshot names — the sum over its records in index order;
// - no span: every record weighs its normalized training bytes (`IndexedRecord.bytes`), so the
//   inference is shared by each contributor's byte share of the training version ("fallback").
// Amounts: `feeAmount` (an integer, e.g. wei) split by shares rounded to 1e-12, by largest
// remainder, so they sum to `feeAmount` exactly; ties go to the contributor listed first
// (contributors are listed by `contributorKey`).
import type { AttributionIndex } from "./corpus";
import type { MatchedSpan } from "./match";

export type AttributionMethod = "spans" | "fallback";

export interface ContributorShare {
  contributorId: string | null;
  contributorWallet: string | null;
  weight: number;
  share: number;
  /** Decimal string of an integer. */
  amount: string;
}

export interface SpanRecord {
  id: string;
  contentHash: string;
  contributorId: string | null;
  contributorWallet: string | null;
  weight: number;
}

export interface WeightedSpan extends Omit<MatchedSpan, "records"> {
  df: number;
  weight: number;
  records: SpanRecord[];
}

export interface Attribution {
  method: AttributionMethod;
  spans: WeightedSpan[];
  contributors: ContributorShare[];
}

/** `<contributorId>|<wallet>`: contributors are listed in this key's code-unit order. */
export const contributorKey = (c: { contributorId: string | null; contributorWallet: string | null }) => `${c.contributorId ?? ""}|${c.contributorWallet ?? ""}`;

const SHARE_UNITS = 1_000_000_000_000n;

/** Splits `total` by `weights` (non-negative, not all zero) exactly, largest remainder first. */
export function splitAmount(total: bigint, weights: number[]): bigint[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const units = weights.map((w) => BigInt(Math.round((w / sum) * Number(SHARE_UNITS))));
  const unitSum = units.reduce((a, b) => a + b, 0n);
  const amounts = units.map((u) => (total * u) / unitSum);
  let left = total - amounts.reduce((a, b) => a + b, 0n);
  const byRemainder = units.map((u, i) => ({ i, r: (total * u) % unitSum })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of byRemainder) {
    if (left === 0n) break;
    amounts[i]!++;
    left--;
  }
  return amounts;
}

interface ContributorWeight {
  contributorId: string | null;
  contributorWallet: string | null;
  weight: number;
}

function byContributor(index: AttributionIndex, recordWeights: Map<number, number>): ContributorWeight[] {
  const groups = new Map<string, ContributorWeight>();
  for (const r of [...recordWeights.keys()].sort((a, b) => a - b)) {
    const record = index.records[r]!;
    const key = contributorKey(record);
    const group = groups.get(key) ?? { contributorId: record.contributorId, contributorWallet: record.contributorWallet, weight: 0 };
    group.weight += recordWeights.get(r)!;
    groups.set(key, group);
  }
  return [...groups.entries()]
    .filter(([, g]) => g.weight > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => g);
}

function withAmounts(list: ContributorWeight[], feeAmount: bigint): ContributorShare[] {
  const total = list.reduce((a, g) => a + g.weight, 0);
  const amounts = list.length > 0 ? splitAmount(feeAmount, list.map((g) => g.weight)) : [];
  return list.map((g, i) => ({ ...g, share: g.weight / total, amount: amounts[i]!.toString() }));
}

/** Each index's fallback weights, computed once: they depend on the index alone. */
const fallbackWeights = new WeakMap<AttributionIndex, ContributorWeight[]>();

function fallback(index: AttributionIndex): ContributorWeight[] {
  let list = fallbackWeights.get(index);
  if (!list) {
    list = byContributor(index, new Map(index.records.map((r, i) => [i, r.bytes])));
    fallbackWeights.set(index, list);
  }
  return list;
}

export function weighSpans(index: AttributionIndex, spans: MatchedSpan[], feeAmount: bigint): Attribution {
  if (feeAmount < 0n) throw new Error("feeAmount must not be negative");
  if (spans.length === 0) return { method: "fallback", spans: [], contributors: withAmounts(fallback(index), feeAmount) };
  const recordWeights = new Map<number, number>();
  const weighted = spans.map((span) => {
    const df = span.records.length;
    const each = span.bytes / (df * df);
    for (const r of span.records) recordWeights.set(r, (recordWeights.get(r) ?? 0) + each);
    const records = span.records.map((r) => {
      const { id, contentHash, contributorId, contributorWallet } = index.records[r]!;
      return { id, contentHash, contributorId, contributorWallet, weight: each };
    });
    return { ...span, df, weight: span.bytes / df, records };
  });
  return { method: "spans", spans: weighted, contributors: withAmounts(byContributor(index, recordWeights), feeAmount) };
}
