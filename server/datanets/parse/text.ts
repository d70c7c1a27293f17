// Plain text and Markdown uploads become `text` records: split at headings (Markdown) and blank
// lines, small paragraphs packed together and oversized ones cut, so no record exceeds maxChars.
// Streams line by line; at most one record and one paragraph (each ≤ maxChars) are held.
import { failure, type ParseResult } from "./issues";
import { lineProblemIssue, type SourceLine } from "./lines";

export const DEFAULT_MAX_RECORD_CHARS = 4000;

type Piece = { line: number; text: string };

const HEADING = /^ {0,3}#{1,6}(\s|$)/;
const FENCE = /^ {0,3}(```|~~~)/;

/** Where to cut a line longer than `max`: the last whitespace in its second half, else at `max`. */
function cutPoint(text: string, max: number): number {
  const space = text.slice(0, max + 1).search(/\s\S*$/);
  let cut = space > max / 2 ? space : max;
  // Never cut a surrogate pair in half.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return cut;
}

/** Packs paragraphs into records of at most `maxChars`; paragraphs join with a blank line. */
class Packer {
  private record: Piece[] = [];
  private recordChars = 0;
  private paragraph: Piece[] = [];
  private paragraphChars = 0;

  constructor(private readonly maxChars: number) {}

  *addLine(piece: Piece): Generator<Piece> {
    this.paragraphChars += (this.paragraph.length > 0 ? 1 : 0) + piece.text.length;
    this.paragraph.push(piece);
    if (this.paragraphChars <= this.maxChars) return;
    // An oversized paragraph: what came before goes out whole, the paragraph in cuts.
    yield* this.flushRecord();
    while (this.paragraphChars > this.maxChars) yield this.cutParagraph();
  }

  *endParagraph(): Generator<Piece> {
    if (this.paragraph.length === 0) return;
    const text = this.paragraph.map((p) => p.text).join("\n");
    const first = this.paragraph[0] as Piece;
    this.paragraph = [];
    this.paragraphChars = 0;
    if (this.record.length > 0 && this.recordChars + 2 + text.length > this.maxChars) yield* this.flushRecord();
    this.recordChars += (this.record.length > 0 ? 2 : 0) + text.length;
    this.record.push({ line: first.line, text });
  }

  *flushRecord(): Generator<Piece> {
    const [first] = this.record;
    const text = this.record.map((p) => p.text).join("\n\n").trim();
    this.record = [];
    this.recordChars = 0;
    if (first && text !== "") yield { line: first.line, text };
  }

  *end(): Generator<Piece> {
    yield* this.endParagraph();
    yield* this.flushRecord();
  }

  private cutParagraph(): Piece {
    const taken: Piece[] = [];
    let chars = 0;
    for (const p of this.paragraph) {
      const next = chars + (taken.length > 0 ? 1 : 0) + p.text.length;
      if (next > this.maxChars) break;
      taken.push(p);
      chars = next;
    }
    if (taken.length > 0) {
      this.paragraph = this.paragraph.slice(taken.length);
      this.paragraphChars -= chars + (this.paragraph.length > 0 ? 1 : 0);
      return { line: (taken[0] as Piece).line, text: taken.map((p) => p.text).join("\n").trim() };
    }
    // The first line alone is too long: cut inside it and keep the rest, still on that line.
    const long = this.paragraph[0] as Piece;
    const cut = cutPoint(long.text, this.maxChars);
    const rest = long.text.slice(cut).trimStart();
    this.paragraph[0] = { line: long.line, text: rest };
    this.paragraphChars -= long.text.length - rest.length;
    return { line: long.line, text: long.text.slice(0, cut).trimEnd() };
  }
}

export type TextOptions = { fileName: string; markdown: boolean; maxChars?: number };

/** `text` records with the line each starts on; an unreadable line is reported and skipped. */
export async function* splitText(lines: AsyncIterable<SourceLine>, options: TextOptions): AsyncGenerator<ParseResult> {
  const { fileName: file, markdown } = options;
  const maxChars = options.maxChars ?? DEFAULT_MAX_RECORD_CHARS;
  if (maxChars < 100) throw new RangeError(`maxChars is ${maxChars}; records need at least 100 characters`);
  const packer = new Packer(maxChars);
  const record = (p: Piece): ParseResult => ({ ok: true, file, line: p.line, content: { text: p.text } });
  let inFence = false;
  let any = false;
  for await (const item of lines) {
    if (item.text === null) {
      yield { ok: false, file, line: item.line, errors: [lineProblemIssue(item.line, item.problem)] };
      continue;
    }
    const text = item.text.trimEnd();
    const piece = { line: item.line, text };
    const out: Piece[] = [];
    if (markdown && FENCE.test(text)) inFence = !inFence;
    if (markdown && !inFence && HEADING.test(text)) {
      // A heading starts a new record and leads its section.
      out.push(...packer.endParagraph(), ...packer.flushRecord(), ...packer.addLine(piece), ...packer.endParagraph());
    } else if (text.trim() === "" && !inFence) {
      out.push(...packer.endParagraph());
    } else {
      out.push(...packer.addLine(piece));
    }
    for (const p of out) {
      any = true;
      yield record(p);
    }
  }
  for (const p of packer.end()) {
    any = true;
    yield record(p);
  }
  if (!any) yield failure(file, 0, "text", "the file has no text", "upload a file with text in it");
}
