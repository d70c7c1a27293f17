// OpenAI-compatible: one deployment this API key may call, by name.
import { v1Api } from "@/server/serving/app-v1-api";

export const GET = v1Api.model;
export const dynamic = "force-dynamic";
