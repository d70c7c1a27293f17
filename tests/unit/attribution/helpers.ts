// Attribution indexes built in memory from snapshot lines, as the builder reads them from blobs.
import { buildIndexFromSnapshots } from "@/server/attribution/build";

export interface SnapshotRecord {
  id: string;
  contributorId?: string | null;
  contributorWallet?: string | null;
  content: object;
}

export function snapshotJsonl(records: SnapshotRecord[]): string {
  return records
    .map((r) => JSON.stringify({ id: r.id, contentHash: r.id.padEnd(64, "0").slice(0, 64), contributorId: r.contributorId ?? null, contributorWallet: r.contributorWallet ?? null, content: r.content }))
    .join("\n");
}

async function* bytesOf(text: string) {
  yield new TextEncoder().encode(text);
}

export function indexOfRecords(...snapshots: SnapshotRecord[][]) {
  return buildIndexFromSnapshots(snapshots.map((s) => bytesOf(snapshotJsonl(s))));
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
export function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
