// OpenAI-compatible chat completions, streamed (SSE) or not, answered by a deployment's workers.
import { v1Api } from "@/server/serving/app-v1-api";

export const POST = v1Api.chatCompletions;
export const dynamic = "force-dynamic";
