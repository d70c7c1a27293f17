// The app's one blob store, built from settings on first use.
import "server-only";
import { authSecret, env } from "@/server/env";
import { createBlobStore } from "./index";
import type { BlobStore } from "./types";

let store: BlobStore | undefined;

export function getBlobStore(): BlobStore {
  store ??= createBlobStore({ ...env, secret: authSecret() });
  return store;
}
