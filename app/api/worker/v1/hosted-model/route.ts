// Worker protocol: signed URLs of a hosted base model's files, for a serving worker started with it.
import { workerApi } from "@/server/jobs/app-worker-api";

export const POST = workerApi.hostedModel;
export const dynamic = "force-dynamic";
