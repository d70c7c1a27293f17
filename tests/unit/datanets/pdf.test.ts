import { describe, expect, it } from "vitest";
import { parsePdf } from "@/server/datanets/parse/pdf";
import { chunks, collect } from "./helpers";

/** A minimal valid PDF, one page per entry, each line a Helvetica text line; xref offsets computed. */
function buildPdf(pages: string[][]): Buffer {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pages.length} >>`;
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  pages.forEach((lines, i) => {
    const stream = `BT /F1 12 Tf 14 TL 72 720 Td ${lines.map((l) => `(${escape(l)}) Tj T*`).join(" ")} ET`;
    objects[pageIds[i] as number] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${(pageIds[i] as number) + 1} 0 R >>`;
    objects[(pageIds[i] as number) + 1] = `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`;
  });
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(pdf);
    pdf += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(pdf);
  pdf += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) pdf += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

describe("parsePdf", () => {
  it("extracts text page by page, with the page number as the line", async () => {
    const pdf = buildPdf([["Tributary handbook", "Chapter one (intro)"], ["Second page text"]]);
    const results = await collect(parsePdf(chunks(pdf), { fileName: "book.pdf" }));
    expect(results).toHaveLength(1);
    const [record] = results;
    expect(record).toMatchObject({ ok: true, file: "book.pdf", line: 1 });
    if (!record?.ok || !("text" in record.content)) throw new Error("expected a text record");
    expect(record.content.text).toMatch(/Tributary handbook\s+Chapter one \(intro\)\s+Second page text/);
  });

  it("starts records on the page where their text begins", async () => {
    const page = (n: number) => Array.from({ length: 8 }, (_, i) => `Page ${n} sentence ${i} with some words in it.`);
    const results = await collect(parsePdf(chunks(buildPdf([page(1), page(2), page(3)])), { fileName: "p.pdf", maxChars: 400 }));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => r.line)).toEqual([1, 2, 3]);
    for (const r of results) expect(r.ok && "text" in r.content && r.content.text.startsWith(`Page ${r.line} sentence 0`)).toBe(true);
  });

  it("refuses a PDF over the size cap before parsing it", async () => {
    const results = await collect(parsePdf(chunks(buildPdf([["x".repeat(1024 * 1024)]])), { fileName: "big.pdf", maxBytes: 1024 * 1024 }));
    expect(results).toMatchObject([{ ok: false, line: 0, errors: [{ field: "file", message: "the PDF is larger than 1 MB, the most a PDF may be" }] }]);
  });

  it("says when a PDF has no text, or cannot be read", async () => {
    expect(await collect(parsePdf(chunks(buildPdf([[]])), { fileName: "scan.pdf" }))).toMatchObject([{ ok: false, errors: [{ message: "the PDF has no extractable text (a scanned PDF holds images of text)" }] }]);
    const broken = await collect(parsePdf(chunks("%PDF-1.4\ngarbage"), { fileName: "broken.pdf" }));
    expect(broken).toMatchObject([{ ok: false, line: 0, errors: [{ field: "file" }] }]);
  });
});
