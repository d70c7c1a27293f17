// Worker protocol: lease the next job (long poll).
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.lease;
export const dynamic = "force-dynamic";
