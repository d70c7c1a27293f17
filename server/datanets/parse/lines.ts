// Streams an upload as numbered UTF-8 lines without holding more than one line in memory,
// so a 1 GB JSONL or text file costs at most `maxLineBytes` of buffer.
import type { Readable } from "node:stream";
import type { Issue } from "./issues";

export type ByteSource = Readable | AsyncIterable<Uint8Array>;

export type LineProblem = { kind: "too-long"; limitBytes: number } | { kind: "not-utf8" };

/** `text` is null when the line could not be read; `problem` says why. Line ends are not included. */
export type SourceLine = { line: number; text: string } | { line: number; text: null; problem: LineProblem };

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const NL = 0x0a;
const CR = 0x0d;

export function lineProblemIssue(line: number, problem: LineProblem): Issue {
  if (problem.kind === "too-long") {
    const limit = problem.limitBytes % 1024 === 0 ? `${problem.limitBytes / 1024} KiB` : `${problem.limitBytes} bytes`;
    return { line, field: "line", message: `the line is longer than ${limit}`, fix: "split the record or shorten it" };
  }
  return { line, field: "line", message: "the line is not valid UTF-8", fix: "save the file as UTF-8" };
}

function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return new TextEncoder().encode(chunk);
  throw new TypeError(`expected bytes from the upload stream, got ${typeof chunk}`);
}

/** The source's bytes without a leading UTF-8 BOM, which may arrive split across the first chunks. */
export async function* withoutBom(source: ByteSource): AsyncGenerator<Uint8Array> {
  let head = new Uint8Array(0);
  let checked = false;
  for await (const raw of source) {
    const chunk = asBytes(raw);
    if (checked) {
      yield chunk;
      continue;
    }
    const joined = new Uint8Array(head.length + chunk.length);
    joined.set(head);
    joined.set(chunk, head.length);
    head = joined;
    if (head.length < 3) continue;
    checked = true;
    yield head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
  }
  if (!checked && head.length > 0) yield head;
}

/**
 * Numbered lines (1-based) of a UTF-8 stream. Splits on `\n` and drops a trailing `\r`, skips a
 * leading BOM. A line longer than `maxLineBytes` is discarded as it streams and reported as a
 * `too-long` line; invalid UTF-8 as `not-utf8`. Both keep their line number and reading goes on.
 */
export async function* readLines(source: ByteSource, options: { maxLineBytes?: number } = {}): AsyncGenerator<SourceLine> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // A fresh decoder per line, fed chunk pieces with stream:true so a character split across
  // chunks decodes whole; `fatal` turns bad bytes into a reported line instead of silent U+FFFD.
  const newDecoder = () => new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let decoder = newDecoder();
  let parts: string[] = [];
  let lineBytes = 0;
  let problem: LineProblem | null = null;
  let line = 1;

  const take = (piece: Uint8Array) => {
    if (piece.length === 0 || problem) return;
    lineBytes += piece.length;
    if (lineBytes > maxLineBytes) {
      problem = { kind: "too-long", limitBytes: maxLineBytes };
      parts = [];
      return;
    }
    try {
      parts.push(decoder.decode(piece, { stream: true }));
    } catch {
      problem = { kind: "not-utf8" };
      parts = [];
    }
  };

  const finish = (): SourceLine => {
    let text: string | null = null;
    if (!problem) {
      try {
        text = parts.join("") + decoder.decode();
      } catch {
        problem = { kind: "not-utf8" };
      }
    }
    const result: SourceLine =
      problem || text === null
        ? { line, text: null, problem: problem ?? { kind: "not-utf8" } }
        : // A `\r\n` split across two chunks leaves its `\r` here.
          { line, text: text.endsWith("\r") ? text.slice(0, -1) : text };
    decoder = newDecoder();
    parts = [];
    lineBytes = 0;
    problem = null;
    line++;
    return result;
  };

  for await (const chunk of withoutBom(source)) {
    let start = 0;
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
      take(chunk.subarray(start, nl > start && chunk[nl - 1] === CR ? nl - 1 : nl));
      yield finish();
      start = nl + 1;
    }
    take(chunk.subarray(start));
  }
  if (lineBytes > 0 || problem) yield finish();
}
