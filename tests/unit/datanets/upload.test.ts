import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { detectFileKind, formatIssue, parseUpload, type UploadResult } from "@/server/datanets/parse";
import { contentHash, recordSizeBytes } from "@/server/datanets/records";
import { chunks, collect } from "./helpers";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("detectFileKind", () => {
  it("knows the accepted kinds by name, and a PDF by its first bytes", () => {
    expect(detectFileKind("chat.jsonl", bytes('{"messages": []}'))).toEqual({ kind: "jsonl" });
    expect(detectFileKind("chat.NDJSON", bytes("{}"))).toEqual({ kind: "jsonl" });
    expect(detectFileKind("qa.csv", bytes("q,a"))).toEqual({ kind: "csv" });
    expect(detectFileKind("notes.txt", bytes("hello"))).toEqual({ kind: "txt" });
    expect(detectFileKind("README.md", bytes("# hi"))).toEqual({ kind: "md" });
    expect(detectFileKind("paper.pdf", bytes("%PDF-1.7"))).toEqual({ kind: "pdf" });
    expect(detectFileKind("download", bytes("%PDF-1.4"))).toEqual({ kind: "pdf" });
  });

  it("explains what it does not accept", () => {
    const accepted = "Upload .jsonl (one JSON object per line), .csv, .txt, .md or .pdf files.";
    expect(detectFileKind("data.xlsx", bytes("PK"))).toEqual({ kind: "unknown", message: `data.xlsx is not a supported file type (.xlsx). ${accepted}` });
    expect(detectFileKind("data.json", bytes("[{}]")).message).toMatch(/^data.json is JSON; put one object per line and name it .jsonl/);
    expect(detectFileKind("fake.pdf", bytes("hello")).message).toMatch(/does not start like a PDF/);
    expect(detectFileKind("image.txt", new Uint8Array([0x89, 0x50, 0x00, 0x01])).message).toMatch(/looks like a binary file/);
  });
});

describe("parseUpload", () => {
  it("detects kind and JSONL shape, and returns records ready to store", async () => {
    const line = { instruction: "Say hi", output: "hi" };
    const results = await collect(parseUpload(chunks(`${JSON.stringify(line)}\n\n{"instruction": "x", "output": ""}\n{bad\n`), { fileName: "a.jsonl", format: "chat" }));
    const content = { messages: [{ role: "user" as const, content: "Say hi" }, { role: "assistant" as const, content: "hi" }] };
    expect(results[0]).toEqual({
      ok: true,
      file: "a.jsonl",
      line: 1,
      content,
      contentHash: contentHash(content),
      sizeBytes: recordSizeBytes(content),
      // "Say hi" is 2 tokens, "hi" 1.
      tokens: 3,
      warnings: [],
    });
    expect(results[1]).toMatchObject({ ok: true, line: 3, warnings: [{ kind: "empty answer" }] });
    expect(results[2]).toMatchObject({ ok: false, line: 4, errors: [{ field: "json" }] });
  });

  it("says why a JSONL shape is not recognized", async () => {
    const results = await collect(parseUpload(chunks('{"prompt": "a", "completion": "b"}\n'), { fileName: "p.jsonl", format: "chat" }));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, line: 0, errors: [{ field: "shape" }] });
  });

  it("parses CSV with its mapping and refuses it without one", async () => {
    const csv = "q,a\nHi,Hello\n";
    const ok = await collect(parseUpload(chunks(csv), { fileName: "c.csv", format: "instruction", csv: { format: "instruction", mapping: { instruction: "q", output: "a" } } }));
    expect(ok).toMatchObject([{ ok: true, line: 2, content: { instruction: "Hi", output: "Hello" } }]);
    const missing = await collect(parseUpload(chunks(csv), { fileName: "c.csv", format: "instruction" }));
    expect(missing).toMatchObject([{ ok: false, errors: [{ field: "mapping" }] }]);
  });

  it("splits Markdown into text records, and refuses it for a chat Datanet", async () => {
    const md = "# A\n\none\n\n# B\n\ntwo\n";
    expect((await collect(parseUpload(chunks(md), { fileName: "n.md", format: "text" }))).map((r) => r.line)).toEqual([1, 5]);
    const refused = (await collect(parseUpload(chunks(md), { fileName: "n.md", format: "chat" })))[0] as Extract<UploadResult, { ok: false }>;
    expect(formatIssue(refused.file, refused.errors[0]!)).toBe("n.md: .md files become text records, but this Datanet takes chat records; upload JSONL or CSV with the fields of that format");
  });

  it("refuses an unknown kind with the accepted types", async () => {
    const results = await collect(parseUpload(chunks("a\tb\n"), { fileName: "x.tsv", format: "text" }));
    expect(results).toMatchObject([{ ok: false, line: 0, errors: [{ message: expect.stringContaining("Upload .jsonl") }] }]);
  });

  it("streams a 200,000-line JSONL without holding the lines", async () => {
    const total = 200_000;
    // Lines are made as the parser pulls chunks; nothing holds the file or the results.
    async function* generate() {
      const batch = 1000;
      for (let start = 0; start < total; start += batch) {
        let chunk = "";
        for (let i = start; i < start + batch; i++) {
          chunk += i === 123_456
            ? '{"messages": [{"role": "bot", "content": "x"}]}\n'
            : `{"messages": [{"role": "user", "content": "question ${i}"}, {"role": "assistant", "content": "answer ${i}"}]}\n`;
        }
        yield Buffer.from(chunk);
      }
    }
    let ok = 0;
    const failedLines: number[] = [];
    for await (const result of parseUpload(Readable.from(generate()), { fileName: "big.jsonl", format: "chat" })) {
      if (result.ok) ok++;
      else failedLines.push(result.line);
    }
    expect(ok).toBe(total - 1);
    expect(failedLines).toEqual([123_457]);
  });
});
