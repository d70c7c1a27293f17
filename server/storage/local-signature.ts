// Short-lived signed URLs for the local store's control-plane route (/api/blobs/<key>):
// an HMAC-SHA256 over what the URL allows, checked in constant time.
import { createHmac, timingSafeEqual } from "node:crypto";

export type BlobOp = "get" | "put";

export interface LocalUrlGrant {
  op: BlobOp;
  key: string;
  /** Unix seconds after which the URL is refused. */
  expiresAt: number;
  /** put: the Content-Type the upload must send. */
  contentType?: string;
  /** get: the download name for Content-Disposition. */
  fileName?: string;
}

export type LocalSignatureCheck =
  | { ok: true; contentType?: string; fileName?: string }
  | { ok: false; reason: string };

function sign(secret: string, grant: LocalUrlGrant): string {
  // JSON keeps the fields unambiguous whatever characters a content type or name holds.
  const message = JSON.stringify(["tributary-blob-v1", grant.op, grant.key, grant.expiresAt, grant.contentType ?? "", grant.fileName ?? ""]);
  return createHmac("sha256", secret).update(message).digest("hex");
}

/** `${appUrl}/api/blobs/<key>?op=…&exp=…[&ct=…|&name=…]&sig=…` */
export function signLocalUrl(appUrl: string, secret: string, grant: LocalUrlGrant): string {
  const base = appUrl.endsWith("/") ? appUrl : `${appUrl}/`;
  const url = new URL(`api/blobs/${grant.key}`, base);
  url.searchParams.set("op", grant.op);
  url.searchParams.set("exp", String(grant.expiresAt));
  if (grant.contentType !== undefined) url.searchParams.set("ct", grant.contentType);
  if (grant.fileName !== undefined) url.searchParams.set("name", grant.fileName);
  url.searchParams.set("sig", sign(secret, grant));
  return url.toString();
}

/** Checks a signed URL's query for `op` on `key`: signature first, then expiry. */
export function verifyLocalSignature(
  secret: string,
  { op, key, params, nowMs = Date.now() }: { op: BlobOp; key: string; params: URLSearchParams; nowMs?: number },
): LocalSignatureCheck {
  if (params.get("op") !== op) return { ok: false, reason: `This URL does not allow ${op.toUpperCase()}; ask for a new ${op} link.` };
  const exp = params.get("exp") ?? "";
  const sig = params.get("sig") ?? "";
  if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) {
    return { ok: false, reason: "The link is missing its expiry or signature; ask for a new link." };
  }
  const grant: LocalUrlGrant = {
    op,
    key,
    expiresAt: Number(exp),
    contentType: params.get("ct") ?? undefined,
    fileName: params.get("name") ?? undefined,
  };
  const expected = Buffer.from(sign(secret, grant), "hex");
  if (!timingSafeEqual(expected, Buffer.from(sig, "hex"))) {
    return { ok: false, reason: "The link's signature does not match; it was altered or signed by another server." };
  }
  if (nowMs / 1000 > grant.expiresAt) {
    return { ok: false, reason: `The link expired at ${new Date(grant.expiresAt * 1000).toISOString()}; ask for a new link.` };
  }
  return { ok: true, contentType: grant.contentType, fileName: grant.fileName };
}
