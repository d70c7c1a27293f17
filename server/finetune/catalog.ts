// Base models a fine-tune can start from. Real Hugging Face ids that workers load from the
// Hub or a mirror in production, and tiny-llama, which every worker builds itself.
export interface BaseModel {
  id: string;
  name: string;
  /** Parameters, in billions. */
  parametersB: number;
  contextLength: number;
  license: string;
  /** GPU memory a LoRA fine-tune needs in bf16, in GiB (0: runs on CPU). */
  trainMemoryGb: number;
  note: string;
}

/** Weights in bf16 plus activations and optimizer state for the adapter, with headroom. */
const loraMemoryGb = (parametersB: number) => Math.ceil(parametersB * 2 * 1.3 + 4);

const model = (id: string, name: string, parametersB: number, contextLength: number, license: string, note: string): BaseModel => ({
  id,
  name,
  parametersB,
  contextLength,
  license,
  trainMemoryGb: loraMemoryGb(parametersB),
  note,
});

export const TINY_MODEL_ID = "tiny-llama";

export const catalog: readonly BaseModel[] = [
  {
    id: TINY_MODEL_ID,
    name: "tiny-llama (test model)",
    parametersB: 0.0002,
    contextLength: 512,
    license: "MIT",
    trainMemoryGb: 0,
    note: "A tiny Llama-shaped model each worker builds itself from a seed. It learns quickly but knows nothing: use it to try the pipeline.",
  },
  model("HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2 135M Instruct", 0.135, 8192, "Apache-2.0", "Very small and fast; good for simple, narrow tasks."),
  model("HuggingFaceTB/SmolLM2-360M-Instruct", "SmolLM2 360M Instruct", 0.36, 8192, "Apache-2.0", "Small and fast; a good first try."),
  model("HuggingFaceTB/SmolLM2-1.7B-Instruct", "SmolLM2 1.7B Instruct", 1.7, 8192, "Apache-2.0", "Compact general assistant."),
  model("Qwen/Qwen2.5-0.5B-Instruct", "Qwen2.5 0.5B Instruct", 0.49, 32768, "Apache-2.0", "Multilingual, long context, small."),
  model("Qwen/Qwen2.5-1.5B-Instruct", "Qwen2.5 1.5B Instruct", 1.54, 32768, "Apache-2.0", "Multilingual; strong for its size."),
  model("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5 7B Instruct", 7.6, 32768, "Apache-2.0", "Multilingual; high quality, needs a large GPU."),
  model("meta-llama/Llama-3.2-1B-Instruct", "Llama 3.2 1B Instruct", 1.24, 131072, "Llama 3.2 Community License", "Small Llama; accept Meta's license on the Hub first."),
  model("meta-llama/Llama-3.2-3B-Instruct", "Llama 3.2 3B Instruct", 3.21, 131072, "Llama 3.2 Community License", "Mid-size Llama; accept Meta's license on the Hub first."),
  model("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B Instruct", 8.03, 131072, "Llama 3.1 Community License", "Strong general model; needs a large GPU."),
  model("mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B Instruct v0.3", 7.25, 32768, "Apache-2.0", "Strong general model; needs a large GPU."),
];

export function findBaseModel(id: string): BaseModel | undefined {
  return catalog.find((m) => m.id === id);
}
