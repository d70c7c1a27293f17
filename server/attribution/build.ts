// Building a model version's attribution index from its training snapshots, storing it as
// blobs under `attribution/<modelVersionId>/<indexHash>/`, and loading it back (checked
// against its manifest, cached per process) for the inferences to match against.
import type { Db } from "@/server/db/connect";
import { claimIndexBuild, findIndex, findModelVersion, finishIndexBuild, nextIndexToBuild, requestIndex, trainingSnapshots } from "@/server/db/queries/attribution";
import type { AttributionIndexRow } from "@/server/db/schema";
import type { BlobStore } from "@/server/storage/types";
import { buildCorpus, indexManifest, indexOf, recordsJsonl, saBytes, sha256Hex, snapshotSource, type AttributionIndex, type IndexedRecord } from "./corpus";

/** A build not finished after this long is taken over by the next builder. */
export const INDEX_BUILD_STALE_SECONDS = 30 * 60;

/** Says whether trying again later may succeed (the index is still being built) or not. */
export class AttributionIndexError extends Error {
  override name = "AttributionIndexError";
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable: boolean }) {
    super(message);
    this.retryable = opts.retryable;
  }
}

export interface BuiltIndex {
  index: AttributionIndex;
  manifest: string;
  indexHash: string;
  recordsFile: string;
}

/** Builds the index of snapshot streams in the order given; what `verify` and the builder share. */
export async function buildIndexFromSnapshots(streams: AsyncIterable<Uint8Array>[]): Promise<BuiltIndex> {
  const { text, records, snapshotHashes } = await buildCorpus(streams.map(snapshotSource));
  const index = indexOf(text, records);
  const recordsFile = recordsJsonl(records);
  const manifest = indexManifest(snapshotHashes, index, recordsFile);
  return { index, manifest, indexHash: sha256Hex(manifest), recordsFile };
}

/**
 * Builds and stores the index of a trained model version (a fine_tunes row with a version
 * number). Idempotent: a ready index is returned as it is; a build another process holds (and
 * that is not stale) is left to it (null).
 */
export async function buildAttributionIndex(db: Db, store: BlobStore, modelVersionId: string): Promise<AttributionIndexRow | null> {
  const version = await findModelVersion(db, modelVersionId);
  if (!version) throw new AttributionIndexError(`model version ${modelVersionId} does not exist`, { retryable: false });
  await requestIndex(db, version);
  const existing = await findIndex(db, modelVersionId);
  if (existing?.status === "ready") return existing;
  const claim = await claimIndexBuild(db, modelVersionId, INDEX_BUILD_STALE_SECONDS);
  if (!claim) return null;
  const started = performance.now();
  try {
    // Checked once claimed, so the row records the failure and the builder moves on to the next.
    if (version.versionNumber === null) throw new AttributionIndexError(`${modelVersionId} is not a trained model version`, { retryable: false });
    const snapshots = await trainingSnapshots(db, modelVersionId);
    if (snapshots.length === 0) throw new AttributionIndexError(`model version ${modelVersionId} names no training snapshot`, { retryable: false });
    // Opened one after the other as the build reaches them, so no download idles meanwhile.
    const built = await buildIndexFromSnapshots(snapshots.map((s) => (async function* () { yield* await store.get(s.key); })()));
    const prefix = `attribution/${modelVersionId}/${built.indexHash}/`;
    await store.put(`${prefix}text.bin`, built.index.text);
    await store.put(`${prefix}sa.bin`, saBytes(built.index.sa));
    await store.put(`${prefix}records.jsonl`, built.recordsFile, { contentType: "application/x-ndjson" });
    // The manifest last: its presence says the other files are complete.
    await store.put(`${prefix}manifest.json`, built.manifest, { contentType: "application/json" });
    const snapshotHashes = (JSON.parse(built.manifest) as { snapshots: string[] }).snapshots;
    await finishIndexBuild(db, claim.id, claim.attempt, {
      ready: {
        indexHash: built.indexHash,
        blobPrefix: prefix,
        snapshots: snapshots.map((s, i) => ({ ...s, sha256: snapshotHashes[i] })),
        recordCount: built.index.records.length,
        textBytes: built.index.text.length,
        buildMs: Math.round(performance.now() - started),
      },
    });
  } catch (error) {
    await finishIndexBuild(db, claim.id, claim.attempt, { error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
  return findIndex(db, modelVersionId);
}

/** Builds the oldest pending index, if any; the services loop calls it. Returns the version built, or null. */
export async function buildNextIndex(db: Db, store: BlobStore): Promise<string | null> {
  const modelVersionId = await nextIndexToBuild(db, INDEX_BUILD_STALE_SECONDS);
  if (!modelVersionId) return null;
  await buildAttributionIndex(db, store, modelVersionId);
  return modelVersionId;
}

async function readBlob(store: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const cache = new Map<string, Promise<AttributionIndex>>();
const CACHED_INDEXES = 4;

async function loadFromStore(store: BlobStore, prefix: string, indexHash: string): Promise<AttributionIndex> {
  const manifestText = (await readBlob(store, `${prefix}manifest.json`)).toString("utf8");
  if (sha256Hex(manifestText) !== indexHash) throw new AttributionIndexError(`the index manifest at ${prefix} does not hash to ${indexHash}`, { retryable: false });
  const manifest = JSON.parse(manifestText) as { files: Record<string, { sha256: string }> };
  const file = async (name: string) => {
    const bytes = await readBlob(store, `${prefix}${name}`);
    if (sha256Hex(bytes) !== manifest.files[name]?.sha256) throw new AttributionIndexError(`${prefix}${name} does not match the index manifest`, { retryable: false });
    return bytes;
  };
  const [text, sa, records] = await Promise.all([file("text.bin"), file("sa.bin"), file("records.jsonl")]);
  const saCopy = new Int32Array(sa.length / 4);
  new Uint8Array(saCopy.buffer).set(sa);
  const recordList = records.length === 0 ? [] : records.toString("utf8").split("\n").map((line) => JSON.parse(line) as IndexedRecord);
  return indexOf(new Uint8Array(text), recordList, saCopy);
}

/** The ready index of a row, from the process cache or the blob store (files checked against the manifest). */
export function loadAttributionIndex(store: BlobStore, row: Pick<AttributionIndexRow, "blobPrefix" | "indexHash">): Promise<AttributionIndex> {
  if (!row.blobPrefix || !row.indexHash) throw new AttributionIndexError("the attribution index is not built yet", { retryable: true });
  const hit = cache.get(row.indexHash);
  if (hit) {
    cache.delete(row.indexHash);
    cache.set(row.indexHash, hit);
    return hit;
  }
  const loading = loadFromStore(store, row.blobPrefix, row.indexHash);
  loading.catch(() => cache.delete(row.indexHash!));
  cache.set(row.indexHash, loading);
  while (cache.size > CACHED_INDEXES) cache.delete(cache.keys().next().value!);
  return loading;
}
