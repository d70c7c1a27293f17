// PDF uploads: text extracted page by page with unpdf (PDF.js), then split like plain text.
// Results use `line` for the page number: a PDF has no stable lines, pages are what a user can find.
import { getDocumentProxy } from "unpdf";
import { failure, type ParseResult } from "./issues";
import type { ByteSource, SourceLine } from "./lines";
import { splitText } from "./text";

/** PDF.js parses a document from bytes in memory, so PDFs (unlike other uploads) are capped. */
export const DEFAULT_MAX_PDF_BYTES = 100 * 1024 * 1024;

const megabytes = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(2))} MB`;

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

/** The whole source, or null as soon as it passes `maxBytes`. */
async function readCapped(source: ByteSource, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) return null;
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** Each page's text lines, numbered with the page; a blank line between pages ends a paragraph. */
async function* pageLines(pdf: PdfDocument): AsyncGenerator<SourceLine> {
  for (let page = 1; page <= pdf.numPages; page++) {
    const proxy = await pdf.getPage(page);
    const content = await proxy.getTextContent();
    // Frees the page's parsed resources; a large PDF otherwise keeps every page it has read.
    proxy.cleanup();
    // Same joining as unpdf's extractText: items in reading order, hasEOL marks a line end.
    const text = content.items.map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : "")).join("");
    for (const line of text.split("\n")) yield { line: page, text: line };
    yield { line: page, text: "" };
  }
}

export type PdfOptions = { fileName: string; maxChars?: number; maxBytes?: number };

export async function* parsePdf(source: ByteSource, options: PdfOptions): AsyncGenerator<ParseResult> {
  const file = options.fileName;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PDF_BYTES;
  const bytes = await readCapped(source, maxBytes);
  if (!bytes) {
    yield failure(file, 0, "file", `the PDF is larger than ${megabytes(maxBytes)}, the most a PDF may be`, "split it into smaller PDFs, or upload its text as .txt or .md");
    return;
  }
  let pdf: PdfDocument;
  try {
    pdf = await getDocumentProxy(bytes);
  } catch (error) {
    yield failure(file, 0, "file", `the PDF cannot be read (${error instanceof Error ? error.message : String(error)})`, "export it again from the original document, or upload its text as .txt or .md");
    return;
  }
  try {
    for await (const result of splitText(pageLines(pdf), { fileName: file, markdown: false, maxChars: options.maxChars })) {
      // splitText's "no text" is common for scanned PDFs; say so.
      if (!result.ok && result.line === 0) yield failure(file, 0, "file", "the PDF has no extractable text (a scanned PDF holds images of text)", "run OCR on it first, or upload its text as .txt or .md");
      else yield result;
    }
  } finally {
    await pdf.destroy();
  }
}
