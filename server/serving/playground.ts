// The model playground through the gateway: the base model and a tuned version answer the same
// prompt as API callers' requests are answered (no job queue in between). A deployed version is
// asked under its deployment; an undeployed one is loaded just in time on a serving worker.
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { findModel, listRuns } from "@/server/db/queries/finetune";
import { deployments } from "@/server/db/schema";
import { adapterFilesSchema } from "@/server/finetune/fine-tunes";
import { askInput } from "@/server/finetune/playground";
import type { OrgContext } from "@/server/orgs/orgs";
import { findDeploymentForGateway } from "./deployments";
import type { Gateway, Target } from "./gateway";
import { OpenAIError, type ChatRequest } from "./openai";

export const askGatewayInput = askInput.extend({ deploymentId: z.uuid().optional() });

type Answer = { choices: { message: { content: string } }[]; usage?: { prompt_tokens: number; completion_tokens: number } };

async function deployedTarget(db: Db, ctx: OrgContext, deploymentId: string): Promise<Target> {
  const [row] = await db.select({ name: deployments.name }).from(deployments).where(and(eq(deployments.id, deploymentId), eq(deployments.orgId, ctx.org.id)));
  const found = row && (await findDeploymentForGateway(db, ctx.org.id, row.name));
  if (!found) throw new TRPCError({ code: "NOT_FOUND", message: "No such deployment in this organization." });
  if (found.status !== "ready") throw new TRPCError({ code: "PRECONDITION_FAILED", message: `${found.name} is ${found.status}${found.statusMessage ? `: ${found.statusMessage}` : "."}` });
  return { orgId: ctx.org.id, baseModel: found.baseModel, adapterId: found.fineTuneId, adapterFiles: found.adapterFiles, model: found.name };
}

async function versionTarget(db: Db, ctx: OrgContext, modelSlug: string, versionNumber: number): Promise<Target> {
  const model = await findModel(db, ctx.org.id, modelSlug);
  if (!model) throw new TRPCError({ code: "NOT_FOUND", message: `No model “${modelSlug}” in this organization.` });
  const version = (await listRuns(db, ctx.org.id, model.id)).find((r) => r.versionNumber === versionNumber);
  const files = adapterFilesSchema.nullable().parse(version?.adapter ?? null);
  if (!version || !files?.length) throw new TRPCError({ code: "NOT_FOUND", message: `${model.name} has no version ${versionNumber}.` });
  return { orgId: ctx.org.id, baseModel: model.baseModel, adapterId: version.id, adapterFiles: files.map((f) => ({ name: f.name, key: f.key })), model: `${model.slug}-v${versionNumber}` };
}

export async function askThroughGateway(db: Db, gateway: Gateway, ctx: OrgContext, input: z.infer<typeof askGatewayInput>) {
  const tuned = input.deploymentId ? await deployedTarget(db, ctx, input.deploymentId) : await versionTarget(db, ctx, input.modelSlug, input.versionNumber);
  const base: Target = { ...tuned, adapterId: null, adapterFiles: [], model: tuned.baseModel };
  const request: ChatRequest = { model: tuned.model, messages: input.messages, max_tokens: input.maxTokens, temperature: input.temperature, top_p: input.topP, seed: input.seed };
  const run = async (variant: string, target: Target) => {
    const started = performance.now();
    try {
      const answered = await gateway.complete(target, "chat", request);
      if (answered.stream) throw new Error("the gateway streamed an answer the playground asked for whole");
      const answer = JSON.parse(answered.body) as Answer;
      return {
        variant,
        text: answer.choices[0]?.message.content ?? "",
        promptTokens: answer.usage?.prompt_tokens ?? 0,
        completionTokens: answer.usage?.completion_tokens ?? 0,
        seconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      if (!(error instanceof OpenAIError)) throw error;
      throw new TRPCError({ code: error.status >= 500 ? "PRECONDITION_FAILED" : "BAD_REQUEST", message: error.message });
    }
  };
  return { model: tuned.model, outputs: await Promise.all([run("base", base), run("tuned", tuned)]) };
}
