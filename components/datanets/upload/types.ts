// What the uploader knows about an upload. The upload endpoint answers plain JSON and the row's
// `detected`, `parseOptions` and `issues` columns are jsonb, so rows are read through zod here.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { z } from "zod";
import type { AppRouter } from "@/server/api/root";

type Inputs = inferRouterInputs<AppRouter>["datanets"];
type Outputs = inferRouterOutputs<AppRouter>["datanets"];

export type ParseOptions = NonNullable<Inputs["validateUpload"]["options"]>;
export type JsonlShape = NonNullable<ParseOptions["jsonlShape"]>;
export type CsvMapping = NonNullable<ParseOptions["csv"]>;
export type RecordFormat = Outputs["get"]["recordFormat"];
export type ImportResult = Outputs["importUpload"];

export const shapeLabels = {
  "openai-chat": 'OpenAI chat: {"messages": [{"role", "content"}]}',
  alpaca: 'Alpaca: {"instruction", "input", "output"}',
  sharegpt: 'ShareGPT: {"conversations": [{"from", "value"}]}',
  text: 'Plain text: {"text"}',
} as const satisfies Record<JsonlShape, string>;

const shapes = Object.keys(shapeLabels) as [JsonlShape, ...JsonlShape[]];
export const isJsonlShape = (value: string): value is JsonlShape => (shapes as string[]).includes(value);

const issueSchema = z.object({ line: z.number(), field: z.string(), message: z.string(), fix: z.string() });

export const uploadSchema = z.object({
  id: z.string(),
  fileName: z.string(),
  /** jsonl | csv | txt | md | pdf */
  kind: z.string(),
  sizeBytes: z.number(),
  status: z.enum(["uploaded", "validated", "imported"]),
  detected: z.object({
    jsonl: z.object({ shape: z.enum(shapes).nullable(), reason: z.string().optional() }).optional(),
    csvHeaders: z.array(z.string()).optional(),
  }),
  parseOptions: z
    .object({
      jsonlShape: z.enum(shapes).optional(),
      csv: z.object({ format: z.string(), mapping: z.record(z.string(), z.string()) }).optional(),
    })
    .nullable(),
  validRows: z.number(),
  errorRows: z.number(),
  duplicateRows: z.number(),
  issues: z.array(issueSchema),
});

export type Upload = z.infer<typeof uploadSchema>;
export type UploadIssue = z.infer<typeof issueSchema>;

/** "1 record" / "2,345 records". */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString()} ${noun}${count === 1 ? "" : "s"}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes.toLocaleString()} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} KB`;
  return `${(bytes / 1024 / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`;
}
