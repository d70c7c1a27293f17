// Signed GET/PUT of blobs for the local store; see server/storage/http.ts.
import { authSecret } from "@/server/env";
import { getBlobStore } from "@/server/storage/app-store";
import { handleBlobRequest } from "@/server/storage/http";

export const dynamic = "force-dynamic";

interface Context {
  params: Promise<{ key: string[] }>;
}

export async function GET(request: Request, { params }: Context) {
  const { key } = await params;
  return handleBlobRequest(request, { store: getBlobStore(), secret: authSecret(), op: "get", key: key.join("/") });
}

export async function PUT(request: Request, { params }: Context) {
  const { key } = await params;
  return handleBlobRequest(request, { store: getBlobStore(), secret: authSecret(), op: "put", key: key.join("/") });
}
