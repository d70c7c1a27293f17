// The worker protocol (/api/worker/v1): every message a GPU worker sends or receives,
// defined once here. scripts/export-worker-schema.ts writes them to the JSON Schema file
// the Python worker is tested against (gpu-worker/tributary_worker/protocol.schema.json).
import { z } from "zod";

export const PROTOCOL_VERSION = "v1";

export const jobKinds = ["finetune", "generate"] as const;
export const taskTemplates = ["chat", "instruction", "text"] as const;

const id = z.uuid();
const modelId = z.string().min(1).max(200);
/** Blob keys and file names the worker may name: no "..", no leading slash. */
const artifactName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "use letters, digits, '.', '_', '-' and '/' between parts")
  .refine((s) => !s.split("/").includes(".."), "must not contain '..'");

/** A worker that serves: its HTTP base URL (gpu-worker/SERVING.md), the one base model its engine holds, its batch and adapter-slot sizes. */
export const servingSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  baseModel: modelId,
  maxBatchSize: z.number().int().min(1).max(4096),
  gpuAdapterSlots: z.number().int().min(1).max(100_000),
});
export type Serving = z.infer<typeof servingSchema>;

export const capabilitiesSchema = z.object({
  device: z.enum(["cuda", "cpu", "mps"]),
  gpuName: z.string().max(200).nullable(),
  /** Memory of the GPU the worker trains on, in GiB; 0 on CPU. */
  gpuMemoryGb: z.number().min(0).max(10_000),
  /** Catalog ids of the base models this worker can load. */
  models: z.array(modelId).max(200),
  kinds: z.array(z.enum(jobKinds)).min(1),
  /** Absent or null: the worker does not serve. */
  serving: servingSchema.nullish(),
  /** true: the worker downloads base models the server hosts in its blob store (payloads' baseModelFiles). */
  hostedModels: z.boolean().optional(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

export const registerRequest = z.object({
  name: z.string().min(1).max(100),
  version: z.string().min(1).max(50),
  capabilities: capabilitiesSchema,
});
export const registerResponse = z.object({
  workerId: id,
  /** How often to heartbeat a running job. */
  heartbeatSeconds: z.number().int().positive(),
  /** A lease not renewed by a heartbeat for this long expires and the job is requeued. */
  leaseSeconds: z.number().int().positive(),
});

export const hyperparametersSchema = z.object({
  epochs: z.number().int().min(1).max(50),
  learningRate: z.number().positive().max(1),
  batchSize: z.number().int().min(1).max(256),
  maxLength: z.number().int().min(16).max(32_768),
  loraRank: z.number().int().min(1).max(256),
  loraAlpha: z.number().positive().max(1024),
  loraDropout: z.number().min(0).max(0.9),
  targetModules: z.array(z.string().regex(/^[A-Za-z0-9_.]+$/).max(100)).min(1).max(20),
  warmupRatio: z.number().min(0).max(0.5),
  /** Share of the examples held out for evaluation. */
  evalFraction: z.number().min(0).max(0.5),
  gradientCheckpointing: z.boolean(),
  packing: z.boolean(),
  seed: z.number().int().min(0).max(2 ** 31 - 1),
});
export type Hyperparameters = z.infer<typeof hyperparametersSchema>;

const downloadSchema = z.object({ name: artifactName, url: z.url() });
/**
 * The files of a base model the server hosts (a folder saved with save_pretrained), when the
 * leasing worker does not have the model itself; null or absent: the worker loads it from its
 * own sources (built, mirror folder or Hub).
 */
const hostedModelFiles = z.array(downloadSchema.extend({ sizeBytes: z.number().int().min(0) })).min(1).max(1000);
const baseModelFiles = hostedModelFiles.nullish();

/** A serving worker asks for the files of the hosted base model it is started with (`--serve-model`). */
export const hostedModelRequest = z.object({ model: modelId });
export const hostedModelResponse = z.object({ files: hostedModelFiles });

export const finetunePayload = z.object({
  kind: z.literal("finetune"),
  baseModel: modelId,
  baseModelFiles,
  taskTemplate: z.enum(taskTemplates),
  hyperparameters: hyperparametersSchema,
  /** Datanet version snapshots: JSONL, one `{id, contentHash, contributorId, contributorWallet, content}` per line. */
  datasets: z.array(z.object({ versionId: id, url: z.url(), records: z.number().int().min(0) })).min(1),
  /** The last checkpoint a previous attempt uploaded (a tar of the checkpoint folder), to resume from. */
  resume: z.object({ step: z.number().int().min(0), url: z.url() }).nullable(),
  checkpointEverySteps: z.number().int().positive(),
});
export type FinetunePayload = z.infer<typeof finetunePayload>;

export const chatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().max(100_000),
});

export const generatePayload = z.object({
  kind: z.literal("generate"),
  baseModel: modelId,
  baseModelFiles,
  /** One answer per variant: the base model (adapter null) and/or a tuned one. */
  variants: z
    .array(z.object({ name: z.string().min(1).max(50), adapter: z.object({ files: z.array(downloadSchema).min(1) }).nullable() }))
    .min(1)
    .max(4),
  messages: z.array(chatMessageSchema).min(1).max(100),
  maxTokens: z.number().int().min(1).max(4096),
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  seed: z.number().int().min(0).max(2 ** 31 - 1),
});
export type GeneratePayload = z.infer<typeof generatePayload>;

export const jobPayload = z.discriminatedUnion("kind", [finetunePayload, generatePayload]);
export type JobPayload = z.infer<typeof jobPayload>;

export const leaseRequest = z.object({
  workerId: id,
  /** Long poll: how long the server may hold the request open when no job is ready. */
  waitSeconds: z.number().int().min(0).max(25),
});
export const leasedJob = z.object({
  id,
  leaseId: id,
  kind: z.enum(jobKinds),
  /** 1 for the first try; a retried job has a higher attempt. */
  attempt: z.number().int().positive(),
  payload: jobPayload,
});
export const leaseResponse = z.object({ job: leasedJob.nullable() });

export const progressSchema = z.object({
  step: z.number().int().min(0),
  totalSteps: z.number().int().min(0),
  epoch: z.number().min(0),
  loss: z.number().nullable(),
  learningRate: z.number().nullable(),
  tokensPerSecond: z.number().min(0).nullable(),
  etaSeconds: z.number().min(0).nullable(),
});
export type Progress = z.infer<typeof progressSchema>;

export const metricNames = ["train_loss", "eval_loss", "learning_rate", "tokens_per_second"] as const;
export const metricPointSchema = z.object({ step: z.number().int().min(0), name: z.enum(metricNames), value: z.number() });
export type MetricPoint = z.infer<typeof metricPointSchema>;

export const heartbeatRequest = z.object({
  leaseId: id,
  progress: progressSchema,
  metrics: z.array(metricPointSchema).max(1000),
  /** Set when a checkpoint was uploaded since the last heartbeat (key from upload-url). */
  checkpoint: z.object({ key: z.string().min(1).max(500), step: z.number().int().min(0) }).nullable(),
});
export const heartbeatResponse = z.object({
  /** The job was cancelled: stop, upload nothing more, and do not call complete. */
  cancel: z.boolean(),
  leaseExpiresAt: z.iso.datetime({ offset: true }),
});

export const eventLevels = ["info", "warn", "error"] as const;
export const eventsRequest = z.object({
  leaseId: id,
  events: z.array(z.object({ level: z.enum(eventLevels), message: z.string().min(1).max(2000) })).min(1).max(100),
});

export const uploadUrlRequest = z.object({
  leaseId: id,
  name: artifactName,
  contentType: z.string().min(1).max(100).nullable(),
});
export const uploadUrlResponse = z.object({ key: z.string(), url: z.url() });

export const artifactSchema = z.object({
  name: artifactName,
  key: z.string().min(1).max(500),
  sizeBytes: z.number().int().min(0),
});

const sampleSchema = z.object({
  /** A conversation to answer, or (plain-text records) the opening words of a text to continue. */
  prompt: z.union([z.array(chatMessageSchema), z.string()]),
  reference: z.string(),
  base: z.string(),
  tuned: z.string(),
});

export const evalReportSchema = z.object({
  examples: z.number().int().min(0),
  baseLoss: z.number().nullable(),
  tunedLoss: z.number().nullable(),
  basePerplexity: z.number().nullable(),
  tunedPerplexity: z.number().nullable(),
  samples: z.array(sampleSchema).max(20),
});
export type EvalReport = z.infer<typeof evalReportSchema>;

export const finetuneResult = z.object({
  kind: z.literal("finetune"),
  /** adapter_config.json and adapter_model.safetensors, uploaded through upload-url. */
  adapter: z.array(artifactSchema).min(2),
  metrics: z.object({
    trainLoss: z.number().nullable(),
    steps: z.number().int().min(0),
    epochs: z.number().min(0),
    trainExamples: z.number().int().min(0),
    trainTokens: z.number().int().min(0),
    trainSeconds: z.number().min(0),
    truncatedExamples: z.number().int().min(0),
  }),
  evalReport: evalReportSchema,
});
export type FinetuneResult = z.infer<typeof finetuneResult>;

export const generateResult = z.object({
  kind: z.literal("generate"),
  outputs: z.array(
    z.object({
      variant: z.string(),
      text: z.string(),
      promptTokens: z.number().int().min(0),
      completionTokens: z.number().int().min(0),
      seconds: z.number().min(0),
    }),
  ),
});
export type GenerateResult = z.infer<typeof generateResult>;

export const jobResult = z.discriminatedUnion("kind", [finetuneResult, generateResult]);
export type JobResult = z.infer<typeof jobResult>;

export const completeRequest = z.object({ leaseId: id, result: jobResult });
export const failRequest = z.object({
  leaseId: id,
  message: z.string().min(1).max(4000),
  /** False for failures another attempt cannot fix (bad data, unsupported model). */
  retryable: z.boolean(),
});
export const releaseRequest = z.object({ leaseId: id, reason: z.string().min(1).max(500) });
export const jobStateResponse = z.object({ status: z.enum(["validating", "queued", "running", "succeeded", "failed", "cancelled"]) });
export const okResponse = z.object({ ok: z.literal(true) });

export const errorCodes = ["bad_request", "unauthorized", "not_found", "lease_lost", "internal"] as const;
export const errorResponse = z.object({ error: z.object({ code: z.enum(errorCodes), message: z.string() }) });

/** Every message by name, as the JSON Schema file lists them. */
export const protocolMessages = {
  Capabilities: capabilitiesSchema,
  Serving: servingSchema,
  Hyperparameters: hyperparametersSchema,
  FinetunePayload: finetunePayload,
  GeneratePayload: generatePayload,
  EvalReport: evalReportSchema,
  FinetuneResult: finetuneResult,
  GenerateResult: generateResult,
  RegisterRequest: registerRequest,
  RegisterResponse: registerResponse,
  LeaseRequest: leaseRequest,
  LeaseResponse: leaseResponse,
  HeartbeatRequest: heartbeatRequest,
  HeartbeatResponse: heartbeatResponse,
  EventsRequest: eventsRequest,
  UploadUrlRequest: uploadUrlRequest,
  UploadUrlResponse: uploadUrlResponse,
  HostedModelRequest: hostedModelRequest,
  HostedModelResponse: hostedModelResponse,
  CompleteRequest: completeRequest,
  FailRequest: failRequest,
  ReleaseRequest: releaseRequest,
  JobStateResponse: jobStateResponse,
  OkResponse: okResponse,
  ErrorResponse: errorResponse,
} as const;

/** The protocol as one JSON Schema document (draft 2020-12) with a `$defs` entry per message. */
export function protocolJsonSchema(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(protocolMessages)) registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, { uri: (name) => `#/$defs/${name}` });
  const defs = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [name, rest];
    }),
  );
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `https://tributary.dev/schemas/worker-protocol-${PROTOCOL_VERSION}.json`,
    title: `Tributary worker protocol ${PROTOCOL_VERSION}`,
    description: "Generated from server/jobs/protocol.ts by scripts/export-worker-schema.ts; do not edit by hand.",
    $defs: defs,
  };
}
