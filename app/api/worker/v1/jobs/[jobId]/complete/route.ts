// Worker protocol: finish the job with its result (idempotent).
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.complete;
export const dynamic = "force-dynamic";
