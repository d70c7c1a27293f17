// Worker protocol: hand the job back on shutdown.
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.release;
export const dynamic = "force-dynamic";
