// Worker protocol: a signed URL to upload an artifact or checkpoint.
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.uploadUrl;
export const dynamic = "force-dynamic";
