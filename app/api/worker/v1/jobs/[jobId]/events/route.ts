// Worker protocol: append messages to the job's log.
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.events;
export const dynamic = "force-dynamic";
