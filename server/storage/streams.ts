// Helpers for writing blobs: a body as a stream, and a pass-through that hashes and counts it.
import { createHash } from "node:crypto";
import { Readable, Transform, type TransformCallback } from "node:stream";
import type { BlobBody } from "./types";

export function toReadable(body: BlobBody): Readable {
  if (body instanceof Readable) return body;
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // objectMode off so the chunk is seen as bytes, whatever the consumer.
  return Readable.from([bytes], { objectMode: false });
}

/** Passes bytes through unchanged, keeping their SHA-256 and count. */
export class DigestStream extends Transform {
  private readonly hash = createHash("sha256");
  sizeBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.sizeBytes += chunk.length;
    callback(null, chunk);
  }

  /** Only once the stream has ended. */
  sha256(): string {
    return this.hash.digest("hex");
  }
}
