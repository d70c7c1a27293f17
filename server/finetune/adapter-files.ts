// A trained version's adapter: its two PEFT files, and the hash its registration on chain commits to.
import { createHash } from "node:crypto";
import type { BlobStore } from "@/server/storage/types";

export const ADAPTER_FILES = ["adapter_config.json", "adapter_model.safetensors"] as const;

/**
 * The adapter's hash: the SHA-256 of what `sha256sum adapter_config.json adapter_model.safetensors`
 * prints for its files, so anyone holding them can recompute it with `… | sha256sum`.
 */
export async function adapterSha256(store: BlobStore, files: readonly { name: string; key: string }[]): Promise<string> {
  const lines: string[] = [];
  for (const name of ADAPTER_FILES) {
    const file = files.find((f) => f.name === name);
    if (!file) throw new Error(`the adapter has no ${name}`);
    const hash = createHash("sha256");
    for await (const chunk of await store.get(file.key)) hash.update(chunk as Buffer);
    lines.push(`${hash.digest("hex")}  ${name}\n`);
  }
  return createHash("sha256").update(lines.join("")).digest("hex");
}
