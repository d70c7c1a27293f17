// Worker protocol: report a failure, retryable or not.
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.fail;
export const dynamic = "force-dynamic";
