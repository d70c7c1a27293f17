// JSONL uploads: detects which common dataset shape a file uses (OpenAI chat, Alpaca, ShareGPT,
// plain text), validates each line against it and converts it to the Datanet's record format.
import { z } from "zod";
import { chatRoles, contentSchemas, nonBlank, type ChatContent, type ChatMessage, type RecordContent, type RecordFormat } from "@/server/datanets/records";
import { failure, issuesFromZod, type Issue, type ParseResult } from "./issues";
import { describeJsonError } from "./json-error";
import { lineProblemIssue, type SourceLine } from "./lines";

export const jsonlShapes = ["openai-chat", "alpaca", "sharegpt", "text"] as const;
export type JsonlShape = (typeof jsonlShapes)[number];

const shapeNames: Record<JsonlShape, string> = {
  "openai-chat": 'OpenAI chat ({"messages": [...]})',
  alpaca: 'Alpaca ({"instruction", "input", "output"})',
  sharegpt: 'ShareGPT ({"conversations": [{"from", "value"}]})',
  text: 'plain text ({"text"})',
};

/** OpenAI also allows content as a list of parts; text parts are joined, others refused. */
const openAiContent = z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() })).transform((parts) => parts.map((p) => p.text).join(""))]);

const openAiChatSchema = z.object({ messages: z.array(z.object({ role: z.enum(chatRoles), content: openAiContent })).min(1) });

const shareGptRoles = { human: "user", user: "user", gpt: "assistant", assistant: "assistant", model: "assistant", system: "system" } as const satisfies Record<string, ChatMessage["role"]>;
const shareGptSchema = z.object({
  conversations: z
    .array(z.object({ from: z.enum(Object.keys(shareGptRoles) as [keyof typeof shareGptRoles, ...(keyof typeof shareGptRoles)[]]), value: z.string() }))
    .min(1),
});

// Alpaca files often write a missing input as "" or null.
const alpacaSchema = z.object({ instruction: nonBlank, input: z.string().nullish(), output: z.string() });

const shapeSchemas = { "openai-chat": openAiChatSchema, alpaca: alpacaSchema, sharegpt: shareGptSchema, text: contentSchemas.text } as const;

function shapeOf(value: unknown): JsonlShape | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  if (Array.isArray((value as { messages?: unknown }).messages)) return "openai-chat";
  if (Array.isArray((value as { conversations?: unknown }).conversations)) return "sharegpt";
  if ("instruction" in value && "output" in value) return "alpaca";
  if ("text" in value) return "text";
  return null;
}

export type ShapeDetection = { shape: JsonlShape; reason?: undefined } | { shape: null; reason: string };

/**
 * Shape of a file from its first parsed objects (say the first 20 lines). Objects of no known
 * shape are left to per-line validation as long as the others agree on one shape.
 */
export function detectJsonlShape(firstObjects: readonly unknown[]): ShapeDetection {
  if (firstObjects.length === 0) return { shape: null, reason: "the first lines hold no JSON objects" };
  const shapes = new Set(firstObjects.map(shapeOf).filter((s) => s !== null));
  const [only] = shapes;
  if (shapes.size === 1 && only) return { shape: only };
  if (shapes.size > 1) return { shape: null, reason: `the first lines mix shapes (${[...shapes].join(", ")}); use one shape per file` };
  const first = firstObjects[0];
  const keys = typeof first === "object" && first !== null && !Array.isArray(first) ? Object.keys(first) : [];
  const seen = keys.length > 0 ? `keys seen: ${keys.slice(0, 8).join(", ")}` : "the lines are not JSON objects";
  return { shape: null, reason: `no known shape (${seen}); use ${Object.values(shapeNames).join(", ")}` };
}

/** Whether `shape` can become `format` at all; chat → instruction is decided per line. */
export function shapeFitsFormat(shape: JsonlShape, format: RecordFormat): boolean {
  return (shape === "text") === (format === "text");
}

type ChatLike = z.infer<typeof openAiChatSchema> | z.infer<typeof shareGptSchema> | z.infer<typeof alpacaSchema>;

function toMessages(value: ChatLike): ChatMessage[] {
  if ("messages" in value) return value.messages;
  if ("conversations" in value) return value.conversations.map((t) => ({ role: shareGptRoles[t.from], content: t.value }));
  const prompt = value.input ? `${value.instruction}\n\n${value.input}` : value.instruction;
  return [
    { role: "user", content: prompt },
    { role: "assistant", content: value.output },
  ];
}

function convert(line: number, shape: JsonlShape, value: unknown, format: RecordFormat): { content: RecordContent } | { errors: Issue[] } {
  const parsed = shapeSchemas[shape].safeParse(value, { reportInput: true });
  if (!parsed.success) return { errors: issuesFromZod(line, parsed.error) };
  const data = parsed.data;
  if ("text" in data) return { content: { text: data.text } };
  if (format === "instruction" && "instruction" in data) {
    return { content: data.input ? { instruction: data.instruction, input: data.input, output: data.output } : { instruction: data.instruction, output: data.output } };
  }
  const messages = toMessages(data);
  if (format === "chat") return { content: { messages } satisfies ChatContent };
  const [first, second] = messages;
  if (messages.length === 2 && first?.role === "user" && second?.role === "assistant") return { content: { instruction: first.content, output: second.content } };
  const field = shape === "sharegpt" ? "conversations" : "messages";
  return {
    errors: [
      {
        line,
        field,
        message: `${field} has ${messages.length} turn${messages.length === 1 ? "" : "s"} (${messages.map((m) => m.role).join(", ")}), but an instruction record is one user turn then one assistant turn`,
        fix: "keep one question and its answer per line, or upload to a chat Datanet",
      },
    ],
  };
}

function jsonIssue(line: number, text: string): Issue {
  return { line, field: "json", message: `the line is not valid JSON ${describeJsonError(text)}`.trimEnd(), fix: "write one complete JSON object per line" };
}

export type JsonlOptions = { shape: JsonlShape; format: RecordFormat; fileName: string };

/** One result per non-blank line, in order. */
export async function* parseJsonl(lines: AsyncIterable<SourceLine>, options: JsonlOptions): AsyncGenerator<ParseResult> {
  const { shape, format, fileName: file } = options;
  if (!shapeFitsFormat(shape, format)) {
    yield failure(file, 0, "format", `the file is ${shapeNames[shape]}, which cannot become ${format} records`, format === "text" ? 'upload {"text": ...} lines to a text Datanet' : "upload it to a text Datanet, or convert it to chat or instruction lines");
    return;
  }
  for await (const item of lines) {
    if (item.text === null) {
      yield { ok: false, file, line: item.line, errors: [lineProblemIssue(item.line, item.problem)] };
      continue;
    }
    if (item.text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(item.text);
    } catch {
      yield { ok: false, file, line: item.line, errors: [jsonIssue(item.line, item.text)] };
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      yield failure(file, item.line, "json", `the line is ${Array.isArray(value) ? "a JSON list" : "a JSON value"}, not an object`, `write one ${shapeNames[shape]} object per line`);
      continue;
    }
    const converted = convert(item.line, shape, value, format);
    yield "content" in converted ? { ok: true, file, line: item.line, content: converted.content } : { ok: false, file, line: item.line, errors: converted.errors };
  }
}
