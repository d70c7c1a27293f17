// Sensible default hyperparameters for a dataset, and what a run will cost, in plain words.
import { z } from "zod";
import type { Hyperparameters } from "@/server/jobs/protocol";
import type { BaseModel } from "./catalog";

/** LoRA projections of Llama-, Qwen- and Mistral-shaped models (all seven linear layers). */
export const ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

export function defaultHyperparameters(model: BaseModel, examples: number): Hyperparameters {
  return {
    // Small sets need more passes to be learned; big ones overfit with many.
    epochs: examples < 1_000 ? 3 : examples < 50_000 ? 2 : 1,
    learningRate: 2e-4,
    batchSize: 8,
    maxLength: Math.min(1024, model.contextLength),
    loraRank: 16,
    loraAlpha: 32,
    loraDropout: 0.05,
    targetModules: ALL_LINEAR,
    warmupRatio: 0.03,
    evalFraction: examples < 50 ? 0.2 : 0.1,
    gradientCheckpointing: model.parametersB >= 3,
    packing: false,
    seed: 42,
  };
}

/**
 * Effective training rate of one A100 in bf16: a third of the H100's measured 1.26e14 FLOP/s
 * (ENVIRONMENT.md: 47.7k tok/s on a 0.44B model at 6 FLOP per parameter per token).
 */
const A100_EFFECTIVE_FLOPS = 4.2e13;
/** tiny-llama's LoRA recipe on a 2-core CPU: 19k tokens/s measured (400 chat records, batch 8); rounded down. */
const TINY_CPU_TOKENS_PER_SECOND = 15_000;
/**
 * What a run costs besides its steps: loading (or, for tiny-llama, building) the model, the
 * held-out evaluation and sample answers, uploads. CPU: a 60-step tiny-llama run took 7.1 s
 * end to end with well under a second of training (tests/e2e/finetune-worker.spec.ts). GPU: an
 * allowance for loading a cached model of a few GB and evaluating it, not yet measured.
 */
const OVERHEAD_SECONDS = { cpu: 7, gpu: 120 };

export const estimateSchema = z.object({
  examples: z.number(),
  trainExamples: z.number(),
  tokens: z.number(),
  epochs: z.number(),
  steps: z.number(),
  seconds: z.number(),
  /** "3 passes over your 4,120 examples; about 12 minutes on one A100" */
  summary: z.string(),
});
export type Estimate = z.infer<typeof estimateSchema>;

function duration(seconds: number): string {
  if (seconds < 1.5) return "1 second";
  if (seconds < 90) return `${Math.round(seconds)} seconds`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} minutes`;
  return `${(seconds / 3600).toFixed(1)} hours`;
}

export function estimateRun(model: BaseModel, examples: number, tokens: number, hp: Hyperparameters): Estimate {
  const trainExamples = Math.max(1, examples - Math.max(examples > 1 ? 1 : 0, Math.round(examples * hp.evalFraction)));
  const trainTokens = Math.round((tokens * trainExamples) / Math.max(1, examples)) * hp.epochs;
  const steps = Math.ceil(trainExamples / hp.batchSize) * hp.epochs;
  const onCpu = model.trainMemoryGb === 0;
  const seconds = onCpu
    ? OVERHEAD_SECONDS.cpu + trainTokens / TINY_CPU_TOKENS_PER_SECOND
    : OVERHEAD_SECONDS.gpu + (6 * model.parametersB * 1e9 * trainTokens) / A100_EFFECTIVE_FLOPS;
  const passes = hp.epochs === 1 ? "1 pass" : `${hp.epochs} passes`;
  const where = onCpu ? "on a CPU worker" : "on one A100";
  return {
    examples,
    trainExamples,
    tokens,
    epochs: hp.epochs,
    steps,
    seconds,
    summary: `${passes} over your ${trainExamples.toLocaleString("en-US")} training examples (${examples - trainExamples} held out to measure progress); about ${duration(seconds)} ${where}.`,
  };
}
