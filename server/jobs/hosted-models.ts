// Base models the platform hosts in its blob store (local folder or S3), each a folder saved with
// save_pretrained under base-models/<org>/<name>/. A worker that says capabilities.hostedModels
// can lease jobs on them and gets each file as a signed URL with the lease, so it needs neither
// Hub access nor S3 credentials. Put a model there with `npm run models:host` or any S3 tool.
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "@/server/storage/types";
import type { Capabilities } from "./protocol";

export const HOSTED_MODELS_PREFIX = "base-models/";

const MODEL_CONFIG = /^([A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*)\/config\.json$/;

/** Listing a bucket on every lease poll would be slow and costly: answers are reused this long. */
const CACHE_MS = 30_000;
const cache = new WeakMap<BlobStore, { at: number; ids: Promise<string[]> }>();

const isHostedModelId = (modelId: string) => MODEL_CONFIG.test(`${modelId}/config.json`);

/** Ids (`<org>/<name>`) of the hosted models: folders under the prefix that hold a config.json. */
export function hostedModelIds(store: BlobStore, { maxAgeMs = CACHE_MS }: { maxAgeMs?: number } = {}): Promise<string[]> {
  const hit = cache.get(store);
  if (hit && Date.now() - hit.at <= maxAgeMs) return hit.ids;
  const ids = store.list(HOSTED_MODELS_PREFIX).then((keys) =>
    keys.flatMap((key) => MODEL_CONFIG.exec(key.slice(HOSTED_MODELS_PREFIX.length))?.[1] ?? []),
  );
  cache.set(store, { at: Date.now(), ids });
  ids.catch(() => cache.delete(store));
  return ids;
}

/** The capabilities a lease matches on: the worker's own models plus, if it downloads hosted models, those. */
export async function leaseCapabilities(capabilities: Capabilities, store: BlobStore): Promise<Capabilities> {
  if (!capabilities.hostedModels) return capabilities;
  const models = [...new Set([...capabilities.models, ...(await hostedModelIds(store))])];
  return { ...capabilities, models };
}

/** Signed URLs for every file of a hosted model, for a worker that lacks it; null if it is not hosted. */
export async function hostedModelFiles(store: BlobStore, modelId: string, expiresInSeconds: number) {
  if (!isHostedModelId(modelId)) return null;
  const prefix = `${HOSTED_MODELS_PREFIX}${modelId}/`;
  const keys = await store.list(prefix);
  if (!keys.includes(`${prefix}config.json`)) return null;
  return Promise.all(
    keys.map(async (key) => {
      const info = await store.head(key);
      return { name: key.slice(prefix.length), url: await store.presignGet(key, { expiresInSeconds }), sizeBytes: info?.sizeBytes ?? 0 };
    }),
  );
}

/**
 * Copies a model folder (saved with save_pretrained) into the blob store as hosted model `modelId`.
 * config.json goes last and is what makes the model visible, so a lease never sees it half
 * copied; files a previous copy had and this one lacks are deleted.
 */
export async function hostModel(store: BlobStore, modelId: string, folder: string, onFile: (name: string, sizeBytes: number) => void = () => {}) {
  if (!isHostedModelId(modelId)) throw new Error(`model id "${modelId}" is not an <org>/<name> id such as Qwen/Qwen2.5-0.5B-Instruct`);
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new Error(`${folder} is not a folder: give the folder the model was saved in`);
  const names = (await readdir(folder, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && !entry.name.startsWith("."))
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
  if (!names.includes("config.json")) throw new Error(`${folder} has no config.json: save the model with save_pretrained (or snapshot_download it) into that folder`);
  if (!names.some((n) => n.endsWith(".safetensors") || n.endsWith(".bin"))) {
    throw new Error(`${folder} has no weights (*.safetensors or *.bin): download the whole model folder`);
  }
  const prefix = `${HOSTED_MODELS_PREFIX}${modelId}/`;
  await store.delete(`${prefix}config.json`);
  cache.delete(store);
  for (const name of [...names.filter((n) => n !== "config.json"), "config.json"]) {
    const { sizeBytes } = await store.put(`${prefix}${name}`, createReadStream(path.join(folder, name)));
    onFile(name, sizeBytes);
  }
  const stale = (await store.list(prefix)).filter((key) => !names.includes(key.slice(prefix.length)));
  await Promise.all(stale.map((key) => store.delete(key)));
  cache.delete(store);
  return names;
}
