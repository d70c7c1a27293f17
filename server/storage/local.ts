// Blob store in a local folder (default DATA_DIR/blobs), for single-machine installs.
// Each blob is a file at <root>/<key>; its content type sits beside it in a dot-file, and
// writes land in a dot-named temp file renamed into place, so readers never see part of a blob.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { assertBlobKey, assertBlobPrefix, assertExpiry } from "./keys";
import { signLocalUrl } from "./local-signature";
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

export interface LocalBlobStoreOptions {
  /** Folder holding the blobs; created on first write. */
  root: string;
  /** Public URL of the app: presigned URLs point at its /api/blobs route. */
  appUrl: string;
  /** Signs presigned URLs; the route verifies with the same secret. */
  secret: string;
}

export interface OpenedBlob extends BlobInfo {
  body: Readable;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function ignoreCodes(...codes: string[]) {
  return (error: unknown) => {
    if (!codes.includes(errorCode(error) ?? "")) throw error;
  };
}

export class LocalBlobStore implements BlobStore {
  readonly kind = "local";
  private readonly root: string;

  constructor(private readonly options: LocalBlobStoreOptions) {
    if (!options.secret) throw new Error("LocalBlobStore needs a secret to sign its URLs");
    this.root = path.resolve(options.root);
  }

  private fileOf(key: string): string {
    assertBlobKey(key);
    return path.join(this.root, key);
  }

  private metaOf(file: string): string {
    return path.join(path.dirname(file), `.${path.basename(file)}.meta.json`);
  }

  async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<PutResult> {
    const source = toReadable(body);
    let temp: string | undefined;
    try {
      const file = this.fileOf(key);
      const dir = path.dirname(file);
      await mkdir(dir, { recursive: true });
      temp = path.join(dir, `.${path.basename(file)}.tmp-${randomUUID()}`);
      const digest = new DigestStream();
      // flush: fsync before close, so a crash after the rename cannot leave an empty blob.
      await pipeline(source, digest, createWriteStream(temp, { flags: "wx", flush: true }));
      await this.writeMeta(file, { contentType: opts.contentType ?? DEFAULT_CONTENT_TYPE });
      await rename(temp, file);
      return { key, sizeBytes: digest.sizeBytes, sha256: digest.sha256() };
    } catch (error) {
      source.destroy();
      if (temp) await rm(temp, { force: true });
      const code = errorCode(error);
      if (code === "ENOTDIR" || code === "EEXIST" || code === "EISDIR") {
        throw new Error(
          `Cannot store blob "${key}" in ${this.root}: a folder store cannot hold both a key and keys under it ("a/b" and "a/b/c").`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async writeMeta(file: string, meta: { contentType: string }): Promise<void> {
    const target = this.metaOf(file);
    const temp = `${target}.tmp-${randomUUID()}`;
    try {
      await writeFile(temp, JSON.stringify(meta), { flag: "wx" });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private async contentTypeOf(file: string): Promise<string> {
    try {
      const meta = JSON.parse(await readFile(this.metaOf(file), "utf8")) as { contentType?: unknown };
      return typeof meta.contentType === "string" ? meta.contentType : DEFAULT_CONTENT_TYPE;
    } catch (error) {
      ignoreCodes("ENOENT")(error);
      return DEFAULT_CONTENT_TYPE;
    }
  }

  /** The blob with its size and type, measured on the open file so they match the bytes read. */
  async open(key: string): Promise<OpenedBlob> {
    const file = this.fileOf(key);
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      ignoreCodes("ENOENT", "ENOTDIR")(error);
      throw new BlobNotFoundError(key);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      const contentType = await this.contentTypeOf(file);
      return { body: handle.createReadStream(), sizeBytes: stats.size, contentType };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    return (await this.open(key)).body;
  }

  async head(key: string): Promise<BlobInfo | null> {
    const file = this.fileOf(key);
    try {
      const stats = await stat(file);
      if (!stats.isFile()) return null;
      return { sizeBytes: stats.size, contentType: await this.contentTypeOf(file) };
    } catch (error) {
      ignoreCodes("ENOENT", "ENOTDIR")(error);
      return null;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.fileOf(key);
    // EISDIR: the key names a folder of other keys, so there is no blob to delete.
    await rm(file).catch(ignoreCodes("ENOENT", "ENOTDIR", "ERR_FS_EISDIR"));
    await rm(this.metaOf(file), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    assertBlobPrefix(prefix, { allowEmpty: false });
    for (const key of await this.list(prefix)) await this.delete(key);
    await this.pruneEmptyFolders(path.join(this.root, prefix.slice(0, prefix.lastIndexOf("/") + 1)));
  }

  /** Removes folders left empty under `dir` (deepest first), keeping the root. */
  private async pruneEmptyFolders(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(ignoreCodes("ENOENT", "ENOTDIR"));
    if (!entries) return;
    for (const entry of entries) {
      if (entry.isDirectory()) await this.pruneEmptyFolders(path.join(dir, entry.name));
    }
    if (dir !== this.root) await rmdir(dir).catch(ignoreCodes("ENOTEMPTY", "EEXIST", "ENOENT"));
  }

  async list(prefix: string): Promise<string[]> {
    assertBlobPrefix(prefix, { allowEmpty: true });
    const keys: string[] = [];
    const walk = async (relDir: string): Promise<void> => {
      const entries = await readdir(path.join(this.root, relDir), { withFileTypes: true }).catch(ignoreCodes("ENOENT", "ENOTDIR"));
      for (const entry of entries ?? []) {
        // Dot-names are temp and metadata files; keys never start a segment with ".".
        if (entry.name.startsWith(".")) continue;
        const rel = `${relDir}${entry.name}`;
        if (entry.isDirectory()) {
          const folder = `${rel}/`;
          if (folder.startsWith(prefix) || prefix.startsWith(folder)) await walk(folder);
        } else if (entry.isFile() && rel.startsWith(prefix)) {
          keys.push(rel);
        }
      }
    };
    await walk(prefix.slice(0, prefix.lastIndexOf("/") + 1));
    return keys.sort();
  }

  async presignGet(key: string, { expiresInSeconds, fileName }: PresignGetOptions): Promise<string> {
    assertBlobKey(key);
    assertExpiry(expiresInSeconds);
    return signLocalUrl(this.options.appUrl, this.options.secret, { op: "get", key, expiresAt: expiresAt(expiresInSeconds), fileName });
  }

  async presignPut(key: string, { expiresInSeconds, contentType }: PresignPutOptions): Promise<string> {
    assertBlobKey(key);
    assertExpiry(expiresInSeconds);
    return signLocalUrl(this.options.appUrl, this.options.secret, { op: "put", key, expiresAt: expiresAt(expiresInSeconds), contentType });
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const probe = path.join(this.root, `.health-${randomUUID()}`);
    try {
      await writeFile(probe, "ok", { flag: "wx" });
    } finally {
      await rm(probe, { force: true });
    }
  }
}

function expiresAt(expiresInSeconds: number): number {
  return Math.floor(Date.now() / 1000) + expiresInSeconds;
}
