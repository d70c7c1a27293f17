// Picks the blob store from settings: S3 when a bucket is named, else the local folder.
// Pure (no "server-only", no process.env) so tests and scripts can build a store directly;
// the app's shared instance is getBlobStore() in ./app-store.
import path from "node:path";
import type { Env } from "@/server/env";
import { LocalBlobStore } from "./local";
import { S3BlobStore } from "./s3";
import type { BlobStore } from "./types";

export type BlobStoreSettings = Pick<
  Env,
  "DATA_DIR" | "APP_URL" | "S3_ENDPOINT" | "S3_BUCKET" | "S3_REGION" | "S3_ACCESS_KEY_ID" | "S3_SECRET_ACCESS_KEY"
> & {
  /** Signs the local store's URLs (the app passes authSecret()); unused with S3. */
  secret: string;
};

export function createBlobStore(settings: BlobStoreSettings): BlobStore {
  if (settings.S3_BUCKET) {
    const { S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = settings;
    if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
      throw new Error("Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither to use the AWS default credentials.");
    }
    return new S3BlobStore({
      bucket: settings.S3_BUCKET,
      region: settings.S3_REGION,
      endpoint: settings.S3_ENDPOINT,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    });
  }
  return new LocalBlobStore({ root: path.join(settings.DATA_DIR, "blobs"), appUrl: settings.APP_URL, secret: settings.secret });
}

export { LocalBlobStore } from "./local";
export { S3BlobStore } from "./s3";
export { verifyLocalSignature } from "./local-signature";
export { BlobNotFoundError, InvalidBlobKeyError, type BlobBody, type BlobInfo, type BlobStore, type PutResult } from "./types";
