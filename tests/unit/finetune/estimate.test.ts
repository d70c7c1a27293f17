import { describe, expect, it } from "vitest";
import { findBaseModel } from "@/server/finetune/catalog";
import { defaultHyperparameters, estimateRun } from "@/server/finetune/estimate";

const model = (id: string) => {
  const found = findBaseModel(id);
  if (!found) throw new Error(`${id} is not in the catalog`);
  return found;
};

describe("estimateRun", () => {
  it("says passes, training examples, held-out count and time in plain words", () => {
    const qwen = model("Qwen/Qwen2.5-0.5B-Instruct");
    const hp = defaultHyperparameters(qwen, 4_120);
    const estimate = estimateRun(qwen, 4_120, 2_000_000, hp);
    expect(hp).toMatchObject({ epochs: 2, evalFraction: 0.1, maxLength: 1024 });
    expect(estimate).toMatchObject({ trainExamples: 3_708, steps: 2 * Math.ceil(3_708 / 8) });
    expect(estimate.summary).toMatch(/^2 passes over your 3,708 training examples \(412 held out to measure progress\); about \d+ minutes on one A100\.$/);
  });

  it("grows with the model's size and the data's tokens", () => {
    const small = model("HuggingFaceTB/SmolLM2-360M-Instruct");
    const large = model("meta-llama/Llama-3.1-8B-Instruct");
    const hp = defaultHyperparameters(small, 10_000);
    expect(estimateRun(large, 10_000, 5e6, hp).seconds).toBeGreaterThan(estimateRun(small, 10_000, 5e6, hp).seconds * 10);
    expect(estimateRun(small, 10_000, 1e7, hp).seconds).toBeGreaterThan(estimateRun(small, 10_000, 5e6, hp).seconds);
  });

  it("puts tiny-llama on a CPU worker, with the run's fixed cost", () => {
    const tiny = model("tiny-llama");
    const estimate = estimateRun(tiny, 24, 400, { ...defaultHyperparameters(tiny, 24), epochs: 12, evalFraction: 0.25, batchSize: 4 });
    expect(estimate.summary).toBe("12 passes over your 18 training examples (6 held out to measure progress); about 7 seconds on a CPU worker.");
  });
});
