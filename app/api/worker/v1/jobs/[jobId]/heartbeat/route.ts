// Worker protocol: renew the lease, report progress; the answer can say cancel.
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.heartbeat;
export const dynamic = "force-dynamic";
