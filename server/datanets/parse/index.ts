// One entry for every upload: tells the file kind, picks its parser, and turns each parsed row
// into a record ready to store (hash, size, token estimate, training warnings) or its errors.
import { digestRecord, trainingView, type RecordContent, type RecordFormat, type TrainingWarning } from "@/server/datanets/records";
import { parseCsv, type CsvMapping } from "./csv";
import { failure, type Issue, type ParseResult } from "./issues";
import { detectJsonlShape, parseJsonl, type JsonlShape } from "./jsonl";
import { readLines, type ByteSource, type SourceLine } from "./lines";
import { parsePdf } from "./pdf";
import { splitText } from "./text";

export { formatIssue, type Issue, type ParseResult } from "./issues";

export const fileKinds = ["jsonl", "csv", "txt", "md", "pdf"] as const;
export type FileKind = (typeof fileKinds)[number];

export const ACCEPTED_FILES = "Upload .jsonl (one JSON object per line), .csv, .txt, .md or .pdf files.";

const byExtension: Record<string, FileKind> = { jsonl: "jsonl", ndjson: "jsonl", csv: "csv", txt: "txt", text: "txt", md: "md", markdown: "md", pdf: "pdf" };

export type KindDetection = { kind: FileKind; message?: undefined } | { kind: "unknown"; message: string };

/** Kind from the name, checked against the first bytes (say the first 4 KiB). */
export function detectFileKind(fileName: string, firstBytes: Uint8Array): KindDetection {
  const isPdf = new TextDecoder().decode(firstBytes.subarray(0, 5)) === "%PDF-";
  const extension = /\.([^./\\]+)$/.exec(fileName.toLowerCase())?.[1] ?? "";
  const kind = byExtension[extension];
  if (isPdf) return { kind: "pdf" };
  if (kind === "pdf") return { kind: "unknown", message: `${fileName} does not start like a PDF (%PDF-); it may be damaged. ${ACCEPTED_FILES}` };
  if (firstBytes.includes(0)) return { kind: "unknown", message: `${fileName} looks like a binary file, not text. ${ACCEPTED_FILES}` };
  if (kind) return { kind };
  if (extension === "json") return { kind: "unknown", message: `${fileName} is JSON; put one object per line and name it .jsonl. ${ACCEPTED_FILES}` };
  return { kind: "unknown", message: `${fileName} is not a supported file type${extension ? ` (.${extension})` : ""}. ${ACCEPTED_FILES}` };
}

/** A parsed row ready to store, or everything wrong with it. */
export type UploadResult =
  | { ok: true; file: string; line: number; content: RecordContent; contentHash: string; sizeBytes: number; tokens: number; warnings: TrainingWarning[] }
  | { ok: false; file: string; line: number; errors: Issue[] };

export type UploadOptions = {
  fileName: string;
  format: RecordFormat;
  /** Detected from the name and first bytes when left out. */
  kind?: FileKind;
  /** JSONL shape as confirmed by the user; detected from the first lines when left out. */
  jsonlShape?: JsonlShape;
  /** Required for CSV. */
  csv?: CsvMapping;
  /** Text, Markdown and PDF record size. */
  maxChars?: number;
  /** Over this many tokens a record gets an "over-long record" warning. */
  maxTokens?: number;
};

const SNIFF_BYTES = 4096;
const SNIFF_LINES = 20;

/** The first `size` bytes (or fewer) and the whole source again, head included. */
async function peekBytes(source: ByteSource, size: number): Promise<{ head: Uint8Array; all: AsyncIterable<Uint8Array> }> {
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let length = 0;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) break;
    taken.push(next.value);
    length += next.value.byteLength;
  }
  const head = Buffer.concat(taken).subarray(0, size);
  async function* all() {
    yield* taken;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, all: all() };
}

/** Up to SNIFF_LINES JSON objects to detect the shape from, and the lines again, those included. */
async function peekJsonl(lines: AsyncIterable<SourceLine>): Promise<{ objects: unknown[]; all: AsyncIterable<SourceLine> }> {
  const iterator = lines[Symbol.asyncIterator]();
  const taken: SourceLine[] = [];
  const objects: unknown[] = [];
  while (objects.length < SNIFF_LINES) {
    const next = await iterator.next();
    if (next.done) break;
    taken.push(next.value);
    if (next.value.text === null || next.value.text.trim() === "") continue;
    try {
      objects.push(JSON.parse(next.value.text));
    } catch {
      // Reported with its position when the line is parsed for real.
    }
  }
  async function* all() {
    yield* taken;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { objects, all: all() };
}

async function* rows(source: ByteSource, options: UploadOptions): AsyncGenerator<ParseResult> {
  const file = options.fileName;
  let kind = options.kind;
  let bytes: AsyncIterable<Uint8Array> = source as AsyncIterable<Uint8Array>;
  if (!kind) {
    const peeked = await peekBytes(source, SNIFF_BYTES);
    const detected = detectFileKind(file, peeked.head);
    if (detected.kind === "unknown") {
      yield failure(file, 0, "file", detected.message, "convert the file to one of these types");
      return;
    }
    kind = detected.kind;
    bytes = peeked.all;
  }
  if ((kind === "txt" || kind === "md" || kind === "pdf") && options.format !== "text") {
    yield failure(file, 0, "file", `.${kind} files become text records, but this Datanet takes ${options.format} records`, "upload JSONL or CSV with the fields of that format");
    return;
  }
  switch (kind) {
    case "jsonl": {
      let shape = options.jsonlShape;
      let lines: AsyncIterable<SourceLine> = readLines(bytes);
      if (!shape) {
        const peeked = await peekJsonl(lines);
        const detected = detectJsonlShape(peeked.objects);
        if (detected.shape === null) {
          yield failure(file, 0, "shape", `the JSONL shape is not recognized: ${detected.reason}`, "use one of the supported shapes for every line");
          return;
        }
        shape = detected.shape;
        lines = peeked.all;
      }
      return yield* parseJsonl(lines, { shape, format: options.format, fileName: file });
    }
    case "csv": {
      if (!options.csv) {
        yield failure(file, 0, "mapping", "no column mapping was chosen for this CSV", "choose which column holds each field");
        return;
      }
      if (options.csv.format !== options.format) {
        yield failure(file, 0, "mapping", `the column mapping is for ${options.csv.format} records, but this Datanet takes ${options.format} records`, "map the columns again for this Datanet");
        return;
      }
      return yield* parseCsv(bytes, { ...options.csv, fileName: file });
    }
    case "txt":
    case "md":
      return yield* splitText(readLines(bytes), { fileName: file, markdown: kind === "md", maxChars: options.maxChars });
    case "pdf":
      return yield* parsePdf(bytes, { fileName: file, maxChars: options.maxChars });
  }
}

/**
 * Every row of an upload, in file order, as a record to store or its errors; the same union for
 * every file kind. Consumes `source` as it is iterated; nothing is read ahead beyond a few KiB.
 */
export async function* parseUpload(source: ByteSource, options: UploadOptions): AsyncGenerator<UploadResult> {
  for await (const result of rows(source, options)) {
    if (!result.ok) {
      yield result;
      continue;
    }
    const view = trainingView(result.content, { maxTokens: options.maxTokens });
    yield { ...result, ...digestRecord(result.content), tokens: view.tokens, warnings: view.warnings };
  }
}
