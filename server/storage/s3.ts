// Blob store in an S3 bucket (AWS or any S3-compatible server such as MinIO or s3rver).
// Uploads stream through lib-storage's multipart Upload, hashed on the way; presigned URLs
// let browsers and workers move bytes without passing through the app.
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { attachmentDisposition } from "./content-disposition";
import { assertBlobKey, assertBlobPrefix, assertExpiry } from "./keys";
import { DigestStream, toReadable } from "./streams";
import {
  BlobNotFoundError,
  DEFAULT_CONTENT_TYPE,
  type BlobBody,
  type BlobInfo,
  type BlobStore,
  type PresignGetOptions,
  type PresignPutOptions,
  type PutOptions,
  type PutResult,
} from "./types";

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** For S3-compatible servers; setting it switches to path-style URLs (host/bucket/key). */
  endpoint?: string;
  /** Both or neither; unset means the SDK's default chain (environment, instance role…). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** S3's minimum part size; also what one in-flight part costs in memory. */
const PART_SIZE = 5 * 1024 * 1024;
/** Parts uploaded at once: memory stays at about PART_SIZE × (QUEUE_SIZE + 1). */
const QUEUE_SIZE = 2;
/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === "NoSuchKey" || error.name === "NotFound" || error.$metadata.httpStatusCode === 404)
  );
}

export class S3BlobStore implements BlobStore {
  readonly kind = "s3";
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: Boolean(options.endpoint),
      credentials: options.credentials,
      // The SDK's default CRC32 checksums are not understood by every S3-compatible server,
      // and they would be baked into presigned PUT URLs; blobs carry our own SHA-256 instead.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<PutResult> {
    const source = toReadable(body);
    try {
      assertBlobKey(key);
    } catch (error) {
      source.destroy();
      throw error;
    }
    const digest = new DigestStream();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: digest, ContentType: opts.contentType ?? DEFAULT_CONTENT_TYPE },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // A failed upload aborts its multipart upload, so no parts linger in the bucket.
      leavePartsOnError: false,
    });
    // If the upload fails it stops reading: end the feed too, which releases the source.
    // If the source fails, the upload sees the error and aborts its multipart upload itself.
    const uploading = upload.done().catch((error: unknown) => {
      digest.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    const [uploaded, fed] = await Promise.allSettled([uploading, pipeline(source, digest)]);
    // The feed's error is the root cause either way (the source's, or the upload's passed on).
    if (fed.status === "rejected") throw fed.reason;
    if (uploaded.status === "rejected") throw uploaded.reason;
    return { key, sizeBytes: digest.sizeBytes, sha256: digest.sha256() };
  }

  async get(key: string): Promise<Readable> {
    assertBlobKey(key);
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!(Body instanceof Readable)) throw new Error(`S3 returned no readable body for blob "${key}"`);
      return Body;
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async head(key: string): Promise<BlobInfo | null> {
    assertBlobKey(key);
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { sizeBytes: result.ContentLength ?? 0, contentType: result.ContentType ?? DEFAULT_CONTENT_TYPE };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    assertBlobPrefix(prefix, { allowEmpty: false });
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(`Could not delete ${failed.length} blob(s) under "${prefix}"; first: "${first?.Key}": ${first?.Code} ${first?.Message}`);
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertBlobPrefix(prefix, { allowEmpty: true });
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async presignGet(key: string, { expiresInSeconds, fileName }: PresignGetOptions): Promise<string> {
    assertBlobKey(key);
    assertExpiry(expiresInSeconds);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: fileName === undefined ? undefined : attachmentDisposition(fileName),
    });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }

  async presignPut(key: string, { expiresInSeconds, contentType }: PresignPutOptions): Promise<string> {
    assertBlobKey(key);
    assertExpiry(expiresInSeconds);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`S3 bucket "${this.bucket}" is not reachable: ${detail}`, { cause: error });
    }
  }
}
