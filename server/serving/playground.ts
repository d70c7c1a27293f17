// The model playground for a deployed version: the base model and the tuned adapter answer the
// same prompt through the gateway, as API callers' requests do (no job queue in between).
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import type { Db } from "@/server/db/connect";
import { deployments } from "@/server/db/schema";
import type { askInput } from "@/server/finetune/playground";
import type { OrgContext } from "@/server/orgs/orgs";
import { findDeploymentForGateway } from "./deployments";
import type { Gateway, Target } from "./gateway";
import { OpenAIError, type ChatRequest } from "./openai";

type Answer = { choices: { message: { content: string } }[]; usage?: { prompt_tokens: number; completion_tokens: number } };

export async function askDeployed(db: Db, gateway: Gateway, ctx: OrgContext, input: z.infer<typeof askInput> & { deploymentId: string }) {
  const [row] = await db.select({ name: deployments.name }).from(deployments).where(and(eq(deployments.id, input.deploymentId), eq(deployments.orgId, ctx.org.id)));
  const found = row && (await findDeploymentForGateway(db, ctx.org.id, row.name));
  if (!found) throw new TRPCError({ code: "NOT_FOUND", message: "No such deployment in this organization." });
  if (found.status !== "ready") throw new TRPCError({ code: "PRECONDITION_FAILED", message: `${found.name} is ${found.status}${found.statusMessage ? `: ${found.statusMessage}` : ""}` });
  const request: ChatRequest = { model: found.name, messages: input.messages, max_tokens: input.maxTokens, temperature: input.temperature, top_p: input.topP, seed: input.seed };
  const tuned: Target = { orgId: ctx.org.id, baseModel: found.baseModel, adapterId: found.fineTuneId, adapterFiles: found.adapterFiles, model: found.name };
  const base: Target = { ...tuned, adapterId: null, adapterFiles: [], model: found.baseModel };
  const run = async (variant: string, target: Target) => {
    const started = performance.now();
    try {
      const answer = (await (await gateway.complete(target, "chat", request)).json()) as Answer;
      return {
        variant,
        text: answer.choices[0]?.message.content ?? "",
        promptTokens: answer.usage?.prompt_tokens ?? 0,
        completionTokens: answer.usage?.completion_tokens ?? 0,
        seconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      if (error instanceof OpenAIError) throw new TRPCError({ code: error.status === 503 ? "SERVICE_UNAVAILABLE" : "BAD_REQUEST", message: error.message });
      throw error;
    }
  };
  return { deployment: found.name, outputs: await Promise.all([run("base", base), run("tuned", tuned)]) };
}
