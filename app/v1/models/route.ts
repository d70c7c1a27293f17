// OpenAI-compatible: the deployments this API key may call.
import { v1Api } from "@/server/serving/app-v1-api";

export const GET = v1Api.models;
export const dynamic = "force-dynamic";
