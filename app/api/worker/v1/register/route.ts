// Worker protocol: register a worker and its capabilities.
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.register;
export const dynamic = "force-dynamic";
