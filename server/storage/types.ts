// The blob store contract shared by the local-folder and S3 implementations, and its errors.
import type { Readable } from "node:stream";

export type BlobBody = Readable | Uint8Array | string;

export interface PutOptions {
  /** Stored with the blob and served back; default application/octet-stream. */
  contentType?: string;
}

export interface PutResult {
  key: string;
  sizeBytes: number;
  /** Hex SHA-256 of the bytes stored, computed while they streamed through. */
  sha256: string;
}

export interface BlobInfo {
  sizeBytes: number;
  contentType: string;
}

export interface PresignGetOptions {
  expiresInSeconds: number;
  /** Download name: the response carries `Content-Disposition: attachment` with it. */
  fileName?: string;
}

export interface PresignPutOptions {
  expiresInSeconds: number;
  /** Bound into the signature: the upload must send exactly this Content-Type. */
  contentType?: string;
}

export interface BlobStore {
  readonly kind: "local" | "s3";
  /** Streams are hashed and counted on the way through, never buffered whole. */
  put(key: string, body: BlobBody, opts?: PutOptions): Promise<PutResult>;
  /** Rejects with BlobNotFoundError when there is no blob at the key. */
  get(key: string): Promise<Readable>;
  head(key: string): Promise<BlobInfo | null>;
  /** Succeeds whether or not the blob exists. */
  delete(key: string): Promise<void>;
  /** Deletes every blob whose key starts with the (non-empty) prefix. */
  deletePrefix(prefix: string): Promise<void>;
  /** Keys starting with the prefix, in ascending order. */
  list(prefix: string): Promise<string[]>;
  presignGet(key: string, opts: PresignGetOptions): Promise<string>;
  presignPut(key: string, opts: PresignPutOptions): Promise<string>;
  /** For the health check: resolves when the store is usable, rejects with the reason otherwise. */
  check(): Promise<void>;
}

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No blob at key "${key}"`);
    this.name = "BlobNotFoundError";
  }
}

export class InvalidBlobKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`Invalid blob key ${JSON.stringify(key)}: ${reason}`);
    this.name = "InvalidBlobKeyError";
  }
}
