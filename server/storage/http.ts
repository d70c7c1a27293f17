// The local store's control-plane route: GET streams a blob out and PUT streams one in,
// each only with an unexpired URL signed for that operation and key (see local-signature.ts).
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { attachmentDisposition } from "./content-disposition";
import { isValidBlobKey } from "./keys";
import { LocalBlobStore } from "./local";
import { verifyLocalSignature, type BlobOp } from "./local-signature";
import { BlobNotFoundError, type BlobStore } from "./types";

export interface BlobRequestContext {
  store: BlobStore;
  secret: string;
  op: BlobOp;
  /** The key from the URL path, segments joined with "/". */
  key: string;
}

function fail(status: number, error: string): Response {
  return Response.json({ error }, { status, headers: { "Cache-Control": "no-store" } });
}

export async function handleBlobRequest(request: Request, { store, secret, op, key }: BlobRequestContext): Promise<Response> {
  if (!(store instanceof LocalBlobStore)) {
    return fail(404, "Blobs are stored in S3 on this server; use the presigned S3 URL instead of /api/blobs.");
  }
  if (!isValidBlobKey(key)) return fail(400, `"${key}" is not a valid blob key.`);
  const check = verifyLocalSignature(secret, { op, key, params: new URL(request.url).searchParams });
  if (!check.ok) return fail(403, check.reason);

  if (op === "get") {
    try {
      const blob = await store.open(key);
      const headers = new Headers({
        "Content-Type": blob.contentType,
        "Content-Length": String(blob.sizeBytes),
        "Cache-Control": "private, no-store",
        // Blobs are user uploads served from the app's origin: never let one run as a page.
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
      });
      if (check.fileName !== undefined) headers.set("Content-Disposition", attachmentDisposition(check.fileName));
      return new Response(Readable.toWeb(blob.body) as ReadableStream<Uint8Array>, { headers });
    } catch (error) {
      if (error instanceof BlobNotFoundError) return fail(404, error.message);
      throw error;
    }
  }

  const sentType = request.headers.get("content-type") ?? undefined;
  if (check.contentType !== undefined && sentType !== check.contentType) {
    return fail(403, `This link only accepts Content-Type "${check.contentType}"; the upload sent "${sentType ?? "none"}".`);
  }
  if (!request.body) return fail(400, "The upload has no body.");
  const body = Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>);
  const result = await store.put(key, body, { contentType: check.contentType ?? sentType });
  return Response.json(result, { headers: { "Cache-Control": "no-store" } });
}
