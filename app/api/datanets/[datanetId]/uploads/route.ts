// Receives a contribution file as the raw request body (so the browser can show upload
// progress and nothing is buffered whole) and streams it to blob storage.
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPCError } from "@trpc/server";
import { currentUserId } from "@/server/auth/options";
import { getDb } from "@/server/db/client";
import { receiveUpload } from "@/server/datanets/uploads";
import { getBlobStore } from "@/server/storage/app-store";

export const dynamic = "force-dynamic";

function errorResponse(error: TRPCError) {
  return Response.json({ error: { code: error.code, message: error.message } }, { status: getHTTPStatusCodeFromError(error) });
}

export async function POST(request: Request, { params }: RouteContext<"/api/datanets/[datanetId]/uploads">) {
  const userId = await currentUserId();
  if (!userId) return errorResponse(new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to contribute." }));
  const { datanetId } = await params;
  const url = new URL(request.url);
  const fileName = url.searchParams.get("fileName");
  if (!/^[0-9a-f-]{36}$/.test(datanetId) || !fileName) {
    return errorResponse(new TRPCError({ code: "BAD_REQUEST", message: "Send the file as the body of POST /api/datanets/<id>/uploads?fileName=<name>." }));
  }
  if (!request.body) return errorResponse(new TRPCError({ code: "BAD_REQUEST", message: `${fileName} is empty. Choose a file with records in it.` }));
  try {
    const upload = await receiveUpload(getDb(), getBlobStore(), userId, {
      datanetId,
      fromOrgSlug: url.searchParams.get("orgSlug") ?? undefined,
      fileName,
      body: Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>),
    });
    return Response.json({ upload }, { status: 201 });
  } catch (error) {
    if (error instanceof TRPCError) return errorResponse(error);
    console.error("upload failed:", error);
    return errorResponse(new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "The upload failed on our side; nothing was kept. Try again." }));
  }
}
