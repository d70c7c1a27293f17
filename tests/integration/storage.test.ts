// One blob store suite, run against the local folder and against S3 (s3rver on loopback).
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hostedModelFiles, hostedModelIds, hostModel } from "@/server/jobs/hosted-models";
import { BlobNotFoundError, createBlobStore, InvalidBlobKeyError, type BlobStore, type BlobStoreSettings } from "@/server/storage";
import { handleBlobRequest } from "@/server/storage/http";
import { startS3Server } from "../helpers/s3";

const MiB = 1024 * 1024;
const SECRET = "test-secret-that-is-at-least-32-characters";
const APP_URL = "http://tributary.test";

interface Harness {
  store: BlobStore;
  /** Follows a presigned URL: the route handler for the local store, real HTTP for S3. */
  send(url: string, init?: RequestInit): Promise<Response>;
  /** S3 only: "METHOD /path?query" of each request the server saw. */
  requests?: string[];
  /** Local only: every file and folder under the store's root, relative to it. */
  files?(): Promise<string[]>;
  close(): Promise<void>;
}

const noS3: Omit<BlobStoreSettings, "DATA_DIR" | "secret"> = {
  APP_URL,
  S3_ENDPOINT: undefined,
  S3_BUCKET: undefined,
  S3_REGION: "us-east-1",
  S3_ACCESS_KEY_ID: undefined,
  S3_SECRET_ACCESS_KEY: undefined,
};

async function startLocal(): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "tributary-blobs-"));
  const store = createBlobStore({ ...noS3, DATA_DIR: dataDir, secret: SECRET });
  const root = path.join(dataDir, "blobs");
  return {
    store,
    send(url, init) {
      const request = new Request(url, init);
      const key = new URL(url).pathname.replace(/^\/api\/blobs\//, "");
      return handleBlobRequest(request, { store, secret: SECRET, op: request.method === "PUT" ? "put" : "get", key });
    },
    files: async () => (await readdir(root, { recursive: true }).catch(() => [])).map(String),
    close: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function startS3(): Promise<Harness> {
  const server = await startS3Server();
  const store = createBlobStore({
    ...noS3,
    DATA_DIR: "/nonexistent",
    S3_ENDPOINT: server.endpoint,
    S3_BUCKET: server.bucket,
    S3_ACCESS_KEY_ID: server.accessKeyId,
    S3_SECRET_ACCESS_KEY: server.secretAccessKey,
    secret: SECRET,
  });
  return { store, send: (url, init) => fetch(url, init), requests: server.requests, close: () => server.close() };
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function hashStream(stream: Readable): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), sizeBytes };
}

/** `total` random bytes made one MiB at a time, with their hash once read to the end. */
function generated(total: number) {
  const hash = createHash("sha256");
  let left = total;
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const chunk = randomBytes(Math.min(MiB, left));
      left -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest("hex") };
}

/** Sends `before` bytes, then fails like a dropped connection. */
function failingAfter(before: number) {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= before) return void this.destroy(new Error("client went away"));
      sent += MiB;
      this.push(randomBytes(MiB));
    },
  });
}

describe.each([
  { name: "local", start: startLocal },
  { name: "s3", start: startS3 },
])("$name blob store", ({ name, start }) => {
  let harness: Harness;
  let store: BlobStore;
  // Each test writes under its own prefix so tests never see each other's blobs.
  const fresh = () => `t/${randomUUID()}/`;

  beforeAll(async () => {
    harness = await start();
    store = harness.store;
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("is the store createBlobStore picks for these settings, and is healthy", async () => {
    expect(store.kind).toBe(name);
    await expect(store.check()).resolves.toBeUndefined();
  });

  it.each([
    { body: "bytes", make: () => Buffer.from([0, 1, 2, 255, 254]), expected: Buffer.from([0, 1, 2, 255, 254]) },
    { body: "string", make: () => "héllo, wörld", expected: Buffer.from("héllo, wörld", "utf8") },
    { body: "stream", make: () => Readable.from(["first ", "second ", "third"]), expected: Buffer.from("first second third") },
  ])("puts and gets a $body with its size and sha256", async ({ make, expected }) => {
    const key = `${fresh()}blob.txt`;
    const result = await store.put(key, make(), { contentType: "text/plain; charset=utf-8" });
    expect(result).toEqual({ key, sizeBytes: expected.length, sha256: sha256(expected) });
    expect(await readAll(await store.get(key))).toEqual(expected);
    expect(await store.head(key)).toEqual({ sizeBytes: expected.length, contentType: "text/plain; charset=utf-8" });
  });

  it("defaults the content type and overwrites in place", async () => {
    const key = `${fresh()}file`;
    await store.put(key, "old");
    await store.put(key, "newer");
    expect(await store.head(key)).toEqual({ sizeBytes: 5, contentType: "application/octet-stream" });
    expect((await readAll(await store.get(key))).toString()).toBe("newer");
  });

  it("streams a 12 MiB upload through (multipart on S3) and back with the right hash", async () => {
    const key = `${fresh()}large.bin`;
    const source = generated(12 * MiB);
    const before = harness.requests?.length ?? 0;
    const result = await store.put(key, source.stream);
    const expected = source.sha256();
    expect(result).toEqual({ key, sizeBytes: 12 * MiB, sha256: expected });
    expect(await hashStream(await store.get(key))).toEqual({ sha256: expected, sizeBytes: 12 * MiB });
    if (harness.requests) {
      const seen = harness.requests.slice(before);
      expect(seen.filter((r) => r.startsWith("POST ") && r.includes("?uploads"))).toHaveLength(1);
      expect(seen.filter((r) => r.startsWith("PUT ") && r.includes("partNumber="))).toHaveLength(3);
    }
  });

  it("heads, lists, deletes (idempotently) and deletes by prefix", async () => {
    const base = fresh();
    for (const key of ["a/1", "a/2", "a/sub/3", "ab/4", "b/5"]) await store.put(`${base}${key}`, key);

    expect(await store.list(`${base}a/`)).toEqual([`${base}a/1`, `${base}a/2`, `${base}a/sub/3`]);
    expect(await store.list(`${base}a`)).toEqual([`${base}a/1`, `${base}a/2`, `${base}a/sub/3`, `${base}ab/4`]);
    expect(await store.list(`${base}nothing/`)).toEqual([]);
    expect(await store.head(`${base}a/1`)).toEqual({ sizeBytes: 3, contentType: "application/octet-stream" });
    expect(await store.head(`${base}a`)).toBeNull();

    await store.delete(`${base}a/1`);
    await store.delete(`${base}a/1`);
    await store.delete(`${base}never-existed`);
    expect(await store.head(`${base}a/1`)).toBeNull();

    await store.deletePrefix(`${base}a/`);
    expect(await store.list(base)).toEqual([`${base}ab/4`, `${base}b/5`]);
    if (harness.files) expect((await harness.files()).filter((f) => f.startsWith(`${base}a/`) || f === `${base}a`)).toEqual([]);
  });

  it("rejects a get of a missing blob with BlobNotFoundError naming the key", async () => {
    const key = `${fresh()}missing`;
    const error = await store.get(key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobNotFoundError);
    expect(error).toMatchObject({ key, message: expect.stringContaining(key) });
  });

  it.each(["../x", "/abs", "a//..//b", "a/../b", "a/./b", "a/", "", "a b", "ä", "x".repeat(513)])(
    "rejects the bad key %j everywhere",
    async (key) => {
      const invalid = expect.objectContaining({ name: "InvalidBlobKeyError", message: expect.stringContaining(JSON.stringify(key)) });
      await expect(store.put(key, "escape")).rejects.toEqual(invalid);
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.head(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.presignGet(key, { expiresInSeconds: 60 })).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.presignPut(key, { expiresInSeconds: 60 })).rejects.toBeInstanceOf(InvalidBlobKeyError);
    },
  );

  it("rejects bad prefixes, and an empty one for deletePrefix", async () => {
    await expect(store.list("../")).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.deletePrefix("/abs/")).rejects.toBeInstanceOf(InvalidBlobKeyError);
    await expect(store.deletePrefix("")).rejects.toThrow(/empty prefix would match every blob/);
  });

  it("leaves no blob (and no temp file) when the source stream fails mid-way", async () => {
    const base = fresh();
    const before = harness.requests?.length ?? 0;
    await expect(store.put(`${base}partial.bin`, failingAfter(7 * MiB))).rejects.toThrow("client went away");
    expect(await store.head(`${base}partial.bin`)).toBeNull();
    expect(await store.list(base)).toEqual([]);
    if (harness.files) expect((await harness.files()).filter((f) => f.includes(".tmp-") || f.includes("partial"))).toEqual([]);
    if (harness.requests) {
      // The multipart upload had started; it must have been aborted, not left with parts.
      const seen = harness.requests.slice(before);
      expect(seen.some((r) => r.startsWith("POST ") && r.includes("?uploads"))).toBe(true);
      expect(seen.some((r) => r.startsWith("DELETE ") && r.includes("uploadId="))).toBe(true);
    }
  });

  it("uploads with a presigned PUT and downloads with a presigned GET", async () => {
    const key = `${fresh()}report.csv`;
    const body = "id,name\n1,Ada\n";
    const putUrl = await store.presignPut(key, { expiresInSeconds: 60, contentType: "text/csv" });
    const put = await harness.send(putUrl, { method: "PUT", body, headers: { "Content-Type": "text/csv" } });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(await store.head(key)).toEqual({ sizeBytes: body.length, contentType: "text/csv" });

    const getUrl = await store.presignGet(key, { expiresInSeconds: 60, fileName: "Q3 report ü.csv" });
    const get = await harness.send(getUrl);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe(body);
    expect(get.headers.get("content-type")).toBe("text/csv");
    expect(get.headers.get("content-length")).toBe(String(body.length));
    expect(get.headers.get("content-disposition")).toBe(`attachment; filename="Q3 report _.csv"; filename*=UTF-8''Q3%20report%20%C3%BC.csv`);
  });

  it("hosts a base model folder, config last, and signs each file for a worker", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "hosted-model-"));
    await mkdir(path.join(folder, "sub"));
    const files = { "config.json": '{"model_type":"llama"}', "model.safetensors": randomBytes(3 * MiB).toString("base64"), "sub/tokenizer.json": "{}" };
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(folder, name), text);
    const modelId = `acme/m-${randomUUID().slice(0, 8)}`;
    const order: string[] = [];
    await hostModel(store, modelId, folder, (name) => order.push(name));
    expect(order.at(-1)).toBe("config.json");
    expect(await hostedModelIds(store, { maxAgeMs: 0 })).toContain(modelId);
    const signed = await hostedModelFiles(store, modelId, 60);
    expect(signed?.map((f) => [f.name, f.sizeBytes])).toEqual(Object.entries(files).map(([name, text]) => [name, text.length]));
    for (const file of signed ?? []) {
      const response = await harness.send(file.url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(files[file.name as keyof typeof files]);
    }
    expect(await hostedModelFiles(store, "acme/not-hosted", 60)).toBeNull();
    await store.deletePrefix(`base-models/${modelId}/`);
    await rm(folder, { recursive: true });
  });

  it("refuses expired presigned GET and PUT URLs with 403", async () => {
    const key = `${fresh()}secret.txt`;
    await store.put(key, "private");
    vi.setSystemTime(Date.now() - 3600_000);
    const [getUrl, putUrl] = await Promise.all([
      store.presignGet(key, { expiresInSeconds: 60 }),
      store.presignPut(key, { expiresInSeconds: 60 }),
    ]).finally(() => vi.useRealTimers());

    const get = await harness.send(getUrl);
    expect(get.status).toBe(403);
    if (name === "local") expect(await get.json()).toEqual({ error: expect.stringMatching(/^The link expired at .*; ask for a new link\.$/) });
    expect((await harness.send(putUrl, { method: "PUT", body: "overwritten" })).status).toBe(403);
    expect((await readAll(await store.get(key))).toString()).toBe("private");
  });

  it("rejects presign expiries outside 1 s to 7 days", async () => {
    const key = `${fresh()}x`;
    await expect(store.presignGet(key, { expiresInSeconds: 0 })).rejects.toThrow(/expiresInSeconds/);
    await expect(store.presignPut(key, { expiresInSeconds: 8 * 24 * 3600 })).rejects.toThrow(/expiresInSeconds/);
  });
});

describe("local blob route", () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startLocal();
  });
  afterAll(async () => {
    await harness?.close();
  });

  // s3rver does not verify V4 signatures (only their expiry), so these run against the local route only.
  it("refuses tampered, wrong-operation and wrong-type URLs with 403 and a reason", async () => {
    const { store } = harness;
    await store.put("private/secret.txt", "private");
    await store.put("private/other.txt", "also private");
    const getUrl = new URL(await store.presignGet("private/secret.txt", { expiresInSeconds: 60 }));
    const putUrl = await store.presignPut("private/secret.txt", { expiresInSeconds: 60, contentType: "text/plain" });
    const tamper = (change: (url: URL) => void) => {
      const url = new URL(getUrl);
      change(url);
      return url.toString();
    };
    const refusals: [string, RequestInit | undefined, RegExp][] = [
      [tamper((u) => (u.pathname = "/api/blobs/private/other.txt")), undefined, /signature does not match/],
      [tamper((u) => u.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 3600))), undefined, /signature does not match/],
      [tamper((u) => u.searchParams.set("name", "renamed.exe")), undefined, /signature does not match/],
      [tamper((u) => u.searchParams.set("sig", "0".repeat(64))), undefined, /signature does not match/],
      [tamper((u) => u.searchParams.delete("sig")), undefined, /missing its expiry or signature/],
      [getUrl.toString(), { method: "PUT", body: "overwritten" }, /does not allow PUT/],
      [putUrl, undefined, /does not allow GET/],
      [putUrl, { method: "PUT", body: "<p>x</p>", headers: { "Content-Type": "text/html" } }, /only accepts Content-Type "text\/plain"/],
    ];
    for (const [url, init, reason] of refusals) {
      const response = await harness.send(url, init);
      expect(response.status, url).toBe(403);
      expect((await response.json()).error, url).toMatch(reason);
    }
    expect((await readAll(await store.get("private/secret.txt"))).toString()).toBe("private");
  });

  it("answers 404 with a JSON error for a missing blob behind a valid link", async () => {
    const response = await harness.send(await harness.store.presignGet("no/such/blob", { expiresInSeconds: 60 }));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'No blob at key "no/such/blob"' });
  });

  it("sends headers that keep an uploaded page from running on the app's origin", async () => {
    await harness.store.put("pages/x.html", "<script>alert(1)</script>", { contentType: "text/html" });
    const response = await harness.send(await harness.store.presignGet("pages/x.html", { expiresInSeconds: 60 }));
    expect(response.headers.get("content-security-policy")).toContain("sandbox");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-disposition")).toBeNull();
  });

  it("is off (404) when the store is S3", async () => {
    const s3 = createBlobStore({ ...noS3, DATA_DIR: "/nonexistent", S3_BUCKET: "b", S3_ENDPOINT: "http://127.0.0.1:9", secret: SECRET });
    const url = await harness.store.presignGet("a/b", { expiresInSeconds: 60 });
    const response = await handleBlobRequest(new Request(url), { store: s3, secret: SECRET, op: "get", key: "a/b" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: expect.stringContaining("S3") });
  });

  it("is wired into app/api/blobs/[...key] through getBlobStore()", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "tributary-route-"));
    vi.stubEnv("DATA_DIR", dataDir);
    vi.stubEnv("APP_URL", APP_URL);
    vi.stubEnv("AUTH_SECRET", SECRET);
    vi.stubEnv("S3_BUCKET", "");
    vi.resetModules();
    try {
      const route = await import("@/app/api/blobs/[...key]/route");
      const { getBlobStore } = await import("@/server/storage/app-store");
      const store = getBlobStore();
      const context = { params: Promise.resolve({ key: ["docs", "a.txt"] }) };
      const putUrl = await store.presignPut("docs/a.txt", { expiresInSeconds: 60 });
      const put = await route.PUT(new Request(putUrl, { method: "PUT", body: "via route" }), context);
      expect(put.status).toBe(200);
      expect(await put.json()).toMatchObject({ key: "docs/a.txt", sizeBytes: 9, sha256: sha256("via route") });
      const get = await route.GET(new Request(await store.presignGet("docs/a.txt", { expiresInSeconds: 60 })), context);
      expect(await get.text()).toBe("via route");
    } finally {
      vi.unstubAllEnvs();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
