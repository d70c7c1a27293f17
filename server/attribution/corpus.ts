// The attribution index of a model version: its training snapshots' records laid out as one
// byte string, the suffix array over it, and which record every byte belongs to. Built from
// the snapshot JSONL alone (no database), so anyone holding the snapshots can rebuild it and
// check its hash (server/attribution/verify.ts).
//
// Layout: records in snapshot order (snapshots in the order given, a record id seen twice kept
// the first time); each of a record's training pieces (normalize.ts) as
// 0xFF, then 0x20, then every normalized word followed by 0x20. 0xFF never occurs in UTF-8, so
// no match crosses a piece or a record; the suffix array holds only the suffixes that start at
// a word (word-suffix-array.ts), and a match ends at a space, so matches are whole words.
import { createHash } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import { z } from "zod";
import { trainingPieces, words } from "./normalize";
import { SEPARATOR, SPACE, wordSuffixArray } from "./word-suffix-array";

export const INDEX_FORMAT = "tributary-attribution-index/1";

const snapshotLine = z.object({
  id: z.string(),
  contentHash: z.string(),
  contributorId: z.string().nullable(),
  contributorWallet: z.string().nullable(),
  content: z.unknown(),
});

export interface IndexedRecord {
  id: string;
  contentHash: string;
  contributorId: string | null;
  contributorWallet: string | null;
  /** Byte range of the record in the index text, end exclusive. */
  start: number;
  end: number;
  /** UTF-8 bytes of its normalized training text (words joined by one space, pieces summed): its weight when nothing matches. */
  bytes: number;
}

export interface AttributionIndex {
  text: Uint8Array;
  /** Byte offsets of the suffixes that start at a word, in byte order (word-suffix-array.ts). */
  sa: Int32Array;
  records: IndexedRecord[];
  /** records[i].start, for the offset → record search. */
  starts: Int32Array;
}

/** Appends bytes to a growing buffer without holding one string per record. */
class ByteWriter {
  private buffer = new Uint8Array(1 << 16);
  length = 0;

  private reserve(size: number) {
    if (this.length + size <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + size));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  push(bytes: Uint8Array | number) {
    const size = typeof bytes === "number" ? 1 : bytes.length;
    this.reserve(size);
    if (typeof bytes === "number") this.buffer[this.length] = bytes;
    else this.buffer.set(bytes, this.length);
    this.length += size;
  }

  /**
   * An ASCII piece's words, each followed by a space: what `words` gives for ASCII text (NFC
   * leaves ASCII as it is, lowercasing maps A–Z alone), without a string per word.
   */
  pushAsciiWords(piece: string) {
    this.reserve(piece.length + 1);
    const buffer = this.buffer;
    let at = this.length;
    let inWord = false;
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      // JavaScript's \s in ASCII (tab, line feed, vertical tab, form feed, carriage return, space), and NUL.
      if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0) {
        if (inWord) buffer[at++] = SPACE;
        inWord = false;
      } else {
        buffer[at++] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
        inWord = true;
      }
    }
    if (inWord) buffer[at++] = SPACE;
    this.length = at;
  }

  bytes() {
    return this.buffer.slice(0, this.length);
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Writes a piece; returns its normalized bytes (words joined by one space). */
function appendPiece(writer: ByteWriter, piece: string): number {
  writer.push(SEPARATOR);
  writer.push(SPACE);
  const start = writer.length;
  if (NON_ASCII.test(piece)) {
    for (const word of words(piece)) {
      writer.push(word.bytes);
      writer.push(SPACE);
    }
  } else {
    writer.pushAsciiWords(piece);
  }
  // Every word was written with one space after it; the normalized text has one space fewer.
  return Math.max(0, writer.length - start - 1);
}

export interface CorpusSource {
  lines: AsyncIterable<string>;
  /** Hex sha256 of the snapshot file, committed in the index manifest; asked once its lines are read. */
  sha256(): string;
}

/** A snapshot file's lines, hashing its bytes on the way through. */
export function snapshotSource(stream: AsyncIterable<Uint8Array>): CorpusSource {
  const hash = createHash("sha256");
  let digest: string | null = null;
  async function* lines() {
    const decoder = new StringDecoder("utf8");
    let rest = "";
    for await (const chunk of stream) {
      hash.update(chunk);
      rest += decoder.write(Buffer.from(chunk));
      const parts = rest.split("\n");
      rest = parts.pop()!;
      yield* parts;
    }
    rest += decoder.end();
    if (rest !== "") yield rest;
    digest = hash.digest("hex");
  }
  return {
    lines: lines(),
    sha256() {
      if (digest === null) throw new Error("the snapshot was not read to its end");
      return digest;
    },
  };
}

/** Reads the snapshots' records into the index text and record table. */
export async function buildCorpus(sources: CorpusSource[]) {
  const writer = new ByteWriter();
  const records: IndexedRecord[] = [];
  const seen = new Set<string>();
  const snapshotHashes: string[] = [];
  for (const [s, source] of sources.entries()) {
    let lineNumber = 0;
    for await (const line of source.lines) {
      lineNumber++;
      if (line.trim() === "") continue;
      const where = `snapshot ${s + 1}, line ${lineNumber}`;
      let parsed: z.infer<typeof snapshotLine>;
      try {
        parsed = snapshotLine.parse(JSON.parse(line));
      } catch (error) {
        throw new Error(`${where}: not a snapshot record (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
      }
      if (seen.has(parsed.id)) continue;
      seen.add(parsed.id);
      let pieces: string[];
      try {
        pieces = trainingPieces(parsed.content);
      } catch (error) {
        throw new Error(`${where}, record ${parsed.id}: ${(error as Error).message}`);
      }
      const start = writer.length;
      let bytes = 0;
      for (const piece of pieces) bytes += appendPiece(writer, piece);
      records.push({ id: parsed.id, contentHash: parsed.contentHash, contributorId: parsed.contributorId, contributorWallet: parsed.contributorWallet, start, end: writer.length, bytes });
    }
    snapshotHashes.push(source.sha256());
  }
  return { text: writer.bytes(), records, snapshotHashes };
}

export function indexOf(text: Uint8Array, records: IndexedRecord[], sa = wordSuffixArray(text)): AttributionIndex {
  return { text, sa, records, starts: Int32Array.from(records, (r) => r.start) };
}

export const sha256Hex = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** The record table as stored: one JSON object per line, keys in a fixed order. */
export function recordsJsonl(records: IndexedRecord[]): string {
  return records
    .map((r) => JSON.stringify({ id: r.id, contentHash: r.contentHash, contributorId: r.contributorId, contributorWallet: r.contributorWallet, start: r.start, end: r.end, bytes: r.bytes }))
    .join("\n");
}

export const saBytes = (sa: Int32Array) => new Uint8Array(sa.buffer, sa.byteOffset, sa.byteLength);

/**
 * What the index hash commits to: the snapshots' sha256 (in order), and the sha256 and size of
 * each index file. `indexHash` = sha256 of this JSON's UTF-8 bytes, exactly as written.
 */
export function indexManifest(sourceHashes: string[], index: AttributionIndex, recordsFile: string) {
  const file = (bytes: Uint8Array | string) => ({ sha256: sha256Hex(bytes), bytes: typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length });
  return JSON.stringify({
    format: INDEX_FORMAT,
    normalization: "words (runs of non-whitespace, non-NUL characters), each NFC then lowercased; pieces as 0xFF 0x20 (word 0x20)*",
    saEncoding: "int32 little-endian byte offsets of the suffixes that start at a word, in byte order",
    snapshots: sourceHashes,
    counts: { records: index.records.length, bytes: index.text.length },
    files: { "text.bin": file(index.text), "sa.bin": file(saBytes(index.sa)), "records.jsonl": file(recordsFile) },
  });
}
