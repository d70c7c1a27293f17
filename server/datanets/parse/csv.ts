// CSV uploads: the header row names the columns; the user maps Datanet fields to columns and
// each row becomes one record. Streams through csv-parse; every problem names the CSV line and column.
import { Readable } from "node:stream";
import { CsvError, parse, type Options as CsvParseOptions } from "csv-parse";
import { z } from "zod";
import type { ChatMessage, RecordContent } from "@/server/datanets/records";
import { failure, type Issue, type ParseResult } from "./issues";
import type { ByteSource } from "./lines";

const column = z.string().trim().min(1, "Choose a column.");

/** Which CSV column holds each Datanet field, by format. Optional fields may be left unmapped. */
export const csvParseOptionsSchema = z.discriminatedUnion("format", [
  z.object({ format: z.literal("instruction"), mapping: z.object({ instruction: column, output: column, input: column.optional() }) }),
  z.object({ format: z.literal("chat"), mapping: z.object({ user: column, assistant: column, system: column.optional() }) }),
  z.object({ format: z.literal("text"), mapping: z.object({ text: column }) }),
]);
export type CsvMapping = z.infer<typeof csvParseOptionsSchema>;
export type CsvOptions = CsvMapping & { fileName: string };

/** A field longer than this is refused, so an unclosed quote cannot buffer the whole upload. */
export const MAX_CSV_FIELD_CHARS = 1024 * 1024;

const parserOptions: CsvParseOptions = {
  bom: true,
  info: true,
  relax_column_count: true,
  skip_empty_lines: true,
  skip_records_with_empty_values: true,
  max_record_size: MAX_CSV_FIELD_CHARS,
};

// With `info: true` csv-parse yields the record beside a snapshot of its counters.
type InfoRecord = { record: string[]; info: { lines: number } };

async function* buffers(source: ByteSource): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) yield typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function rows(source: ByteSource): AsyncIterable<InfoRecord> {
  // csv-parse reads Buffers; a plain Uint8Array chunk would be stringified as "1,2,3".
  const input = Readable.from(buffers(source), { objectMode: false });
  const parser = parse(parserOptions);
  input.on("error", (error) => parser.destroy(error));
  // Iterating the parser ends the source too when the consumer stops early.
  parser.on("close", () => input.destroy());
  return input.pipe(parser) as AsyncIterable<InfoRecord>;
}

/**
 * csv-parse's `info.lines` is the line a record ends on, but it counts a `\r\n` inside a quoted
 * field as two lines. This undoes that and walks back over the record's own line breaks to the
 * line it starts on.
 */
function startLines() {
  let crlfSeen = 0;
  return (row: InfoRecord): number => {
    let breaks = 0;
    for (const cell of row.record) {
      const crlf = cell.match(/\r\n/g)?.length ?? 0;
      crlfSeen += crlf;
      breaks += (cell.match(/\r|\n/g)?.length ?? 0) - crlf;
    }
    return row.info.lines - crlfSeen - breaks;
  };
}

function csvErrorResult(file: string, error: CsvError): ParseResult {
  const line = typeof error.lines === "number" ? error.lines : 0;
  const fix =
    error.code === "CSV_MAX_RECORD_SIZE"
      ? `keep each field under ${MAX_CSV_FIELD_CHARS / 1024} KiB, or close the quote that runs on`
      : error.code === "CSV_QUOTE_NOT_CLOSED"
        ? "close the quote that runs to the end of the file"
        : 'quote fields that contain commas, quotes or line breaks, and double quotes inside them ("")';
  return failure(file, line, "csv", `the CSV cannot be read: ${error.message}`, fix);
}

/** The header row, or [] for an empty file. Stops reading after it. */
export async function csvHeaders(source: ByteSource): Promise<string[]> {
  for await (const row of rows(source)) return row.record.map((h) => h.trim());
  return [];
}

type Cells = { get: (field: string) => string | undefined };

function toContent(options: CsvMapping, cells: Cells): RecordContent {
  const value = (field: string) => cells.get(field) ?? "";
  switch (options.format) {
    case "text":
      return { text: value("text") };
    case "instruction": {
      const input = value("input");
      return input.trim() === "" ? { instruction: value("instruction"), output: value("output") } : { instruction: value("instruction"), input, output: value("output") };
    }
    case "chat": {
      const messages: ChatMessage[] = [];
      if (value("system").trim() !== "") messages.push({ role: "system", content: value("system") });
      messages.push({ role: "user", content: value("user") }, { role: "assistant", content: value("assistant") });
      return { messages };
    }
  }
}

/** Fields whose cell may not be blank: the prompt side of each format (an empty answer is only a warning). */
const required = { text: ["text"], instruction: ["instruction"], chat: ["user"] } as const;

/** One result per data row (the header excluded), `line` being the CSV line the row starts on. */
export async function* parseCsv(source: ByteSource, options: CsvOptions): AsyncGenerator<ParseResult> {
  const file = options.fileName;
  const checked = csvParseOptionsSchema.safeParse(options);
  if (!checked.success) {
    yield failure(file, 0, "mapping", `the column mapping is incomplete (${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`, "choose a column for each required field");
    return;
  }
  // Optional fields left unmapped may arrive as explicit undefined (superjson keeps the key).
  const mapping: Record<string, string> = Object.fromEntries(
    Object.entries(checked.data.mapping).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const lineOf = startLines();
  let columns: Map<string, number> | null = null;
  try {
    for await (const row of rows(source)) {
      const line = lineOf(row);
      if (!columns) {
        const headers = row.record.map((h) => h.trim());
        const missing = Object.entries(mapping).filter(([, name]) => !headers.includes(name));
        if (missing.length > 0) {
          const list = missing.map(([field, name]) => `"${name}" (for ${field})`).join(", ");
          yield failure(file, line, "columns", `the header row has no column ${list}`, `map each field to one of ${headers.map((h) => `"${h}"`).join(", ")}`);
          return;
        }
        columns = new Map(Object.entries(mapping).map(([field, name]) => [field, headers.indexOf(name)]));
        continue;
      }
      const index = columns;
      const cells: Cells = { get: (field) => (index.has(field) ? row.record[index.get(field) ?? -1] : undefined) };
      const errors: Issue[] = [];
      for (const [field, name] of Object.entries(mapping)) {
        if (cells.get(field) === undefined) {
          errors.push({ line, field: name, message: `column "${name}" is missing on this row (it has ${row.record.length} cells)`, fix: "add the missing cells, or quote cells that contain commas" });
        }
      }
      for (const field of required[checked.data.format]) {
        const value = cells.get(field);
        if (value !== undefined && value.trim() === "") errors.push({ line, field: mapping[field] ?? field, message: `column "${mapping[field]}" (${field}) is blank`, fix: "fill it in or remove the row" });
      }
      yield errors.length > 0 ? { ok: false, file, line, errors } : { ok: true, file, line, content: toContent(checked.data, cells) };
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    yield csvErrorResult(file, error);
    return;
  }
  if (!columns) yield failure(file, 0, "columns", "the file is empty", "upload a CSV whose first row names the columns");
}
