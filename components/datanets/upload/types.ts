// What the uploader knows about an upload. The upload endpoint answers plain JSON (dates as
// strings) and the row's `detected`, `parseOptions` and `issues` columns are jsonb, so rows are
// read through zod here.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { z } from "zod";
import type { AppRouter } from "@/server/api/root";

type Inputs = inferRouterInputs<AppRouter>["datanets"];
type Outputs = inferRouterOutputs<AppRouter>["datanets"];

export type ParseOptions = NonNullable<Inputs["validateUpload"]["options"]>;
export type JsonlShape = NonNullable<ParseOptions["jsonlShape"]>;
export type CsvMapping = NonNullable<ParseOptions["csv"]>;
export type RecordFormat = Outputs["get"]["recordFormat"];
export type UploadRow = Outputs["upload"];
/** What an import added; `status` is null when the page that started it was left meanwhile. */
export type ImportResult = { imported: number; status: Outputs["importUpload"]["status"] | null };

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
  status: z.enum(["uploaded", "validating", "validated", "importing", "imported"]),
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
  /** Why the last validation or import failed; the upload went back to where it was. */
  error: z.string().nullable(),
  runStartedAt: z.coerce.date().nullable(),
  processedBytes: z.number(),
  processedRows: z.number(),
  progressAt: z.coerce.date().nullable(),
  /** A run without a heartbeat for a minute: its server stopped. */
  interrupted: z.boolean(),
});

export const isRunning = (upload: Pick<Upload, "status">) => upload.status === "validating" || upload.status === "importing";

export type Upload = z.infer<typeof uploadSchema>;
export type UploadIssue = z.infer<typeof issueSchema>;


export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes.toLocaleString()} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} KB`;
  return `${(bytes / 1024 / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`;
}
