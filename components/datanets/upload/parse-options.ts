// The choices a contributor confirms before validation: the JSONL shape, or which CSV column
// holds each field of the Datanet's record format.
import type { CsvMapping, JsonlShape, ParseOptions, RecordFormat, Upload } from "./types";

export type FieldSpec = { name: string; label: string; required: boolean };

export const formatFields = {
  chat: [
    { name: "user", label: "User message", required: true },
    { name: "assistant", label: "Assistant reply", required: true },
    { name: "system", label: "System prompt", required: false },
  ],
  instruction: [
    { name: "instruction", label: "Instruction", required: true },
    { name: "output", label: "Output", required: true },
    { name: "input", label: "Input (context)", required: false },
  ],
  text: [{ name: "text", label: "Text", required: true }],
} as const satisfies Record<RecordFormat, readonly FieldSpec[]>;

/** Column names that usually hold each field, so common files map themselves. */
const usualColumns: Record<string, string[]> = {
  user: ["user", "question", "prompt", "human"],
  assistant: ["assistant", "answer", "response", "completion", "gpt"],
  system: ["system", "system prompt"],
  instruction: ["instruction", "question", "prompt"],
  output: ["output", "answer", "response", "completion"],
  input: ["input", "context"],
  text: ["text", "content", "body"],
};

export type Mapping = Record<string, string>;

export function guessMapping(headers: readonly string[], format: RecordFormat): Mapping {
  const mapping: Mapping = {};
  for (const field of formatFields[format]) {
    const match = headers.find((h) => usualColumns[field.name]?.includes(h.trim().toLowerCase()));
    if (match) mapping[field.name] = match;
  }
  return mapping;
}

export function csvOptions(format: RecordFormat, m: Mapping): CsvMapping {
  // Leave an unmapped optional field out: superjson would send `undefined` as a value.
  const optional = (name: string) => (m[name] ? { [name]: m[name] } : {});
  switch (format) {
    case "chat":
      return { format, mapping: { user: m.user ?? "", assistant: m.assistant ?? "", ...optional("system") } };
    case "instruction":
      return { format, mapping: { instruction: m.instruction ?? "", output: m.output ?? "", ...optional("input") } };
    case "text":
      return { format, mapping: { text: m.text ?? "" } };
  }
}

export function missingFields(format: RecordFormat, m: Mapping): string[] {
  return formatFields[format].filter((f) => f.required && !m[f.name]).map((f) => f.label);
}

/** The options for this upload's kind; txt, md and pdf need none. */
export function parseOptions(kind: string, format: RecordFormat, shape: JsonlShape | "", mapping: Mapping): ParseOptions {
  if (kind === "jsonl") return shape ? { jsonlShape: shape } : {};
  if (kind === "csv") return { csv: csvOptions(format, mapping) };
  return {};
}

/** Compares the options on screen with those the upload was validated with. */
export function sameOptions(a: ParseOptions, b: Upload["parseOptions"]): boolean {
  const key = (o: { jsonlShape?: string; csv?: { format: string; mapping: Record<string, string | undefined> } } | null) =>
    JSON.stringify([
      o?.jsonlShape ?? null,
      o?.csv?.format ?? null,
      Object.entries(o?.csv?.mapping ?? {})
        .filter(([, column]) => column)
        .sort(([x], [y]) => x.localeCompare(y)),
    ]);
  return key(a) === key(b);
}
