// Upload runs finish in the background: wait for them by polling the upload, and hold or
// break the bytes a run reads to see it mid-way.
import { Readable } from "node:stream";
import type { BlobStore } from "@/server/storage/types";
import type { callerFor } from "./context";

type Caller = ReturnType<typeof callerFor>;
export type UploadRow = Awaited<ReturnType<Caller["datanets"]["upload"]>>;

/** Polls the upload every 20 ms until `until` holds (default: no run under way); fails after 20 s. */
export async function waitForUpload(caller: Caller, uploadId: string, until: (upload: UploadRow) => boolean = (u) => u.status !== "validating" && u.status !== "importing") {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const upload = await caller.datanets.upload({ uploadId });
    if (until(upload)) return upload;
    if (Date.now() > deadline) throw new Error(`upload ${uploadId} still ${upload.status} after 20 s: ${JSON.stringify(upload)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface HeldStore {
  store: BlobStore;
  /** Lets the held reads go on. */
  release(): void;
}

/**
 * `inner`, except that reads of upload files (not reports) send the first `headBytes` and
 * then wait for release() — or, with `failWith`, fail there as a broken disk would.
 */
export function holdingStore(inner: BlobStore, headBytes: number, failWith?: Error): HeldStore {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  async function* held(source: Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of source as AsyncIterable<Buffer>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    yield bytes.subarray(0, headBytes);
    if (failWith) throw failWith;
    await released;
    yield bytes.subarray(headBytes);
  }
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "get") {
        return async (key: string) => {
          const source = await target.get(key);
          return key.includes(".report") ? source : Readable.from(held(source), { objectMode: false });
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store, release };
}
