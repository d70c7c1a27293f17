// Record content per Datanet format, and what every stored record is keyed and measured by:
// a content hash over a canonical form, its size, a token estimate, and what the model trains on.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { recordFormats } from "@/server/db/schema/datanets";

export type RecordFormat = (typeof recordFormats)[number];

export const chatRoles = ["system", "user", "assistant"] as const;
export type ChatRole = (typeof chatRoles)[number];

/** A string with something besides whitespace in it; the fix travels in `params` to the issue formatter. */
export const nonBlank = z.string().refine((s) => s.trim() !== "", { message: "is blank", params: { fix: "fill it in or remove the record" } });

export const chatMessageSchema = z.object({ role: z.enum(chatRoles), content: z.string() });
export const chatContentSchema = z.object({ messages: z.array(chatMessageSchema).min(1) });
export const instructionContentSchema = z.object({ instruction: nonBlank, input: z.string().optional(), output: z.string() });
export const textContentSchema = z.object({ text: nonBlank });

export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatContent = z.infer<typeof chatContentSchema>;
export type InstructionContent = z.infer<typeof instructionContentSchema>;
export type TextContent = z.infer<typeof textContentSchema>;
export type RecordContent = ChatContent | InstructionContent | TextContent;

export const contentSchemas = {
  chat: chatContentSchema,
  instruction: instructionContentSchema,
  text: textContentSchema,
} as const satisfies Record<RecordFormat, z.ZodType>;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

// Pure ASCII without \r is already NFC and line-normalized: skip the costly calls (most records).
const needsNormalizing = /[\r\u0080-\uffff]/;

function canonical(value: Json | undefined): Json | undefined {
  if (typeof value === "string") {
    return needsNormalizing.test(value) ? value.replace(/\r\n?/g, "\n").normalize("NFC").trimEnd() : value.trimEnd();
  }
  if (Array.isArray(value)) return value.map((v) => canonical(v) ?? null);
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: Json } = {};
  // Code-unit order, not localeCompare: the order must not depend on the machine's locale.
  for (const key of Object.keys(value).sort()) {
    const v = canonical(value[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * The canonical JSON a record is hashed over: keys sorted at every level, undefined keys
 * dropped, every string with `\r\n` (and a lone `\r`) turned into `\n`, NFC-normalized and
 * stripped of trailing whitespace. Two uploads of the same record from different editors
 * (Windows line ends, decomposed accents, reordered keys) hash the same.
 */
export function normalizeForHash(content: RecordContent): string {
  return JSON.stringify(canonical(content as Json));
}

/**
 * `contentHash`: sha256 hex (64 lowercase characters, no 0x) of `normalizeForHash(content)`;
 * `sizeBytes`: UTF-8 bytes of that canonical form, the size a record is limited by.
 * One canonicalization serves both.
 */
export function digestRecord(content: RecordContent): { contentHash: string; sizeBytes: number } {
  const canonicalText = normalizeForHash(content);
  return {
    contentHash: createHash("sha256").update(canonicalText, "utf8").digest("hex"),
    sizeBytes: Buffer.byteLength(canonicalText, "utf8"),
  };
}

export function contentHash(content: RecordContent): string {
  return digestRecord(content).contentHash;
}

export function recordSizeBytes(content: RecordContent): number {
  return digestRecord(content).sizeBytes;
}

/**
 * Token estimate: one token per 4 characters (UTF-16 code units), rounded up. It is the usual
 * rule of thumb for English with BPE tokenizers; it underestimates CJK text and code with
 * many symbols. Used for limits and display only, never for billing exactness.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export type TrainingWarning = { kind: "empty answer" | "broken role order" | "over-long record"; message: string };

export type TrainingView = {
  /** Text the model reads but is not trained to produce (no loss). */
  prompt: string[];
  /** Text the loss is computed on. */
  answer: string[];
  tokens: number;
  warnings: TrainingWarning[];
};

export const DEFAULT_MAX_RECORD_TOKENS = 4096;

function chatOrderWarnings(messages: ChatMessage[]): TrainingWarning[] {
  const broken = (message: string): TrainingWarning => ({ kind: "broken role order", message });
  const warnings: TrainingWarning[] = [];
  messages.forEach((m, i) => {
    if (m.role === "system" && i > 0) warnings.push(broken(`messages[${i}] is a system turn after the first turn`));
    const prev = messages[i - 1];
    if (i > 0 && prev && prev.role === m.role && m.role !== "system") warnings.push(broken(`messages[${i - 1}] and messages[${i}] are both ${m.role} turns`));
  });
  const firstTurn = messages.find((m) => m.role !== "system");
  if (firstTurn?.role === "assistant") warnings.push(broken("the conversation starts with an assistant turn, before any user turn"));
  if (messages.at(-1)?.role !== "assistant") warnings.push(broken("the conversation does not end with an assistant turn"));
  return warnings;
}

/**
 * What the model is trained on. Chat: every assistant turn is answer (loss only there), system
 * and user turns are prompt. Instruction: instruction and input are prompt, output is answer.
 * Text: all of it is answer (plain language modelling).
 */
export function trainingView(content: RecordContent, options: { maxTokens?: number } = {}): TrainingView {
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_RECORD_TOKENS;
  const prompt: string[] = [];
  const answer: string[] = [];
  const warnings: TrainingWarning[] = [];
  if ("messages" in content) {
    content.messages.forEach((m, i) => {
      if (m.role !== "assistant") prompt.push(m.content);
      else if (m.content.trim() === "") warnings.push({ kind: "empty answer", message: `messages[${i}] is an empty assistant turn` });
      else answer.push(m.content);
    });
    if (!content.messages.some((m) => m.role === "assistant")) warnings.push({ kind: "empty answer", message: "there is no assistant turn to learn from" });
    warnings.push(...chatOrderWarnings(content.messages));
  } else if ("instruction" in content) {
    prompt.push(content.instruction);
    if (content.input !== undefined && content.input !== "") prompt.push(content.input);
    if (content.output.trim() === "") warnings.push({ kind: "empty answer", message: "output is empty" });
    else answer.push(content.output);
  } else {
    answer.push(content.text);
  }
  const tokens = [...prompt, ...answer].reduce((sum, s) => sum + estimateTokens(s), 0);
  if (tokens > maxTokens) warnings.push({ kind: "over-long record", message: `about ${tokens} tokens, above the limit of ${maxTokens}; longer records are truncated in training` });
  return { prompt, answer, tokens, warnings };
}
