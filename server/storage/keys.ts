// Key and option checks shared by every blob store, so a key means the same thing in a
// folder and in a bucket and can never name a path outside the store's root.
import { InvalidBlobKeyError } from "./types";

export const MAX_KEY_LENGTH = 512;
/** S3 refuses presigned URLs valid for longer than a week; the local store keeps the same limit. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

const KEY_CHARS = /^[A-Za-z0-9._/-]*$/;

function segmentProblem(segment: string): string | null {
  if (segment === "") return 'it has an empty path segment (leading "/", trailing "/" or "//")';
  // Covers "." and "..", and keeps dot-names free for the local store's temporary and metadata files.
  if (segment.startsWith(".")) return `path segment "${segment}" starts with "."`;
  return null;
}

function checkShape(key: string, { partialLast }: { partialLast: boolean }): string | null {
  if (key.length > MAX_KEY_LENGTH) return `it is ${key.length} characters long; the limit is ${MAX_KEY_LENGTH}`;
  if (!KEY_CHARS.test(key)) return "only letters, digits, '.', '_', '-' and '/' are allowed";
  const segments = key.split("/");
  // A prefix may end in "/" or mid-segment; its last piece is only checked if present.
  const last = partialLast ? segments.pop() : undefined;
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  return last ? segmentProblem(last) : null;
}

/** Throws InvalidBlobKeyError unless the key is a relative path of allowed characters. */
export function assertBlobKey(key: string): void {
  if (key === "") throw new InvalidBlobKeyError(key, "it is empty");
  const problem = checkShape(key, { partialLast: false });
  if (problem) throw new InvalidBlobKeyError(key, problem);
}

export function isValidBlobKey(key: string): boolean {
  return key !== "" && checkShape(key, { partialLast: false }) === null;
}

/** A key prefix: like a key, but may be empty, end in "/" or stop mid-segment. */
export function assertBlobPrefix(prefix: string, { allowEmpty }: { allowEmpty: boolean }): void {
  if (prefix === "") {
    if (allowEmpty) return;
    throw new InvalidBlobKeyError(prefix, "an empty prefix would match every blob");
  }
  const problem = checkShape(prefix, { partialLast: true });
  if (problem) throw new InvalidBlobKeyError(prefix, problem);
}

export function assertExpiry(expiresInSeconds: number): void {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
    throw new RangeError(`expiresInSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}; got ${expiresInSeconds}`);
  }
}
