// Small stream helpers shared by the Datanet parsing tests.
import { Readable } from "node:stream";

/** Bytes arriving in the given chunks, as an upload stream would deliver them. */
export function chunks(...parts: (string | Uint8Array)[]): Readable {
  return Readable.from(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));
}

/** The string cut into chunks of `size` bytes, splitting characters and line ends anywhere. */
export function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export async function* linesOf(text: string): AsyncGenerator<{ line: number; text: string }> {
  let line = 1;
  for (const t of text.split("\n")) yield { line: line++, text: t };
}
