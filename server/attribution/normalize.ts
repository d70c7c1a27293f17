// The one text normalization attribution matches on, applied alike to training records and to
// model outputs, and the training text of a record. Defined word by word so every normalized
// byte maps back to a place in the original string.
//
// normalize(text) = the text's words joined by one space, where a word is a maximal run of
// characters that are neither whitespace (JavaScript `\s`) nor U+0000, and each word is
// Unicode NFC-normalized, then lowercased (`toLowerCase`, locale-independent). So line breaks,
// indentation and case do not hide a reproduced passage; punctuation is kept, as it is part of
// what a model copies.

const WORD = /[^\s\u0000]+/gu;

export interface Word {
  /** The normalized word. */
  text: string;
  /** Its UTF-8 bytes. */
  bytes: Uint8Array;
  /** UTF-16 offsets of the word in the original string, end exclusive. */
  start: number;
  end: number;
}

const encoder = new TextEncoder();

export function normalizeWord(word: string): string {
  return word.normalize("NFC").toLowerCase();
}

export function words(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(WORD)) {
    const text = normalizeWord(m[0]);
    out.push({ text, bytes: encoder.encode(text), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export function normalizeText(text: string): string {
  return Array.from(text.matchAll(WORD), (m) => normalizeWord(m[0])).join(" ");
}

type Json = unknown;

/**
 * The pieces of text a record trains on, in order: chat — every message's content (system,
 * user and assistant turns: the model reads all of them); instruction — instruction, input,
 * output; text — the text. Pieces are kept apart so no matched span crosses from one turn into
 * the next. Throws on a shape that is none of the three, naming it.
 */
export function trainingPieces(content: Json): string[] {
  if (typeof content === "object" && content !== null) {
    const c = content as Record<string, unknown>;
    if (Array.isArray(c.messages)) {
      return c.messages.map((m: unknown, i) => {
        const text = (m as { content?: unknown } | null)?.content;
        if (typeof text !== "string") throw new Error(`messages[${i}].content is not a string`);
        return text;
      });
    }
    if (typeof c.instruction === "string" && typeof c.output === "string") {
      return [c.instruction, ...(typeof c.input === "string" && c.input !== "" ? [c.input] : []), c.output];
    }
    if (typeof c.text === "string") return [c.text];
  }
  throw new Error("the record content is neither chat ({messages}), instruction ({instruction, output}) nor text ({text})");
}
