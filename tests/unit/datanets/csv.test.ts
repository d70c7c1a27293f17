import { describe, expect, it } from "vitest";
import { csvHeaders, parseCsv } from "@/server/datanets/parse/csv";
import { formatIssue } from "@/server/datanets/parse/issues";
import { chunked, chunks, collect } from "./helpers";

const qa = "question,answer,context\nWhat is 2+2?,4,\nCapital of France?,Paris,Europe\n";

describe("csvHeaders", () => {
  it("reads the first row only, BOM and spaces removed", async () => {
    expect(await csvHeaders(chunks("\uFEFFquestion, answer ,context\n1,2,3\n"))).toEqual(["question", "answer", "context"]);
    expect(await csvHeaders(chunks(""))).toEqual([]);
  });
});

describe("parseCsv", () => {
  it("maps columns to instruction fields, leaving a blank optional input out", async () => {
    const results = await collect(parseCsv(chunks(qa), { format: "instruction", mapping: { instruction: "question", output: "answer", input: "context" }, fileName: "qa.csv" }));
    expect(results).toEqual([
      { ok: true, file: "qa.csv", line: 2, content: { instruction: "What is 2+2?", output: "4" } },
      { ok: true, file: "qa.csv", line: 3, content: { instruction: "Capital of France?", input: "Europe", output: "Paris" } },
    ]);
  });

  it("ignores an optional field sent as undefined (superjson keeps the key)", async () => {
    const results = await collect(parseCsv(chunks(qa), { format: "instruction", mapping: { instruction: "question", output: "answer", input: undefined }, fileName: "qa.csv" }));
    expect(results.map((r) => r.ok)).toEqual([true, true]);
  });

  it("maps columns to text and chat records", async () => {
    const text = await collect(parseCsv(chunks("id,body\n1,Hello there\n"), { format: "text", mapping: { text: "body" }, fileName: "t.csv" }));
    expect(text).toEqual([{ ok: true, file: "t.csv", line: 2, content: { text: "Hello there" } }]);
    const chat = await collect(parseCsv(chunks("sys,q,a\nBe kind,Hi,Hello\n,Bye,See you\n"), { format: "chat", mapping: { user: "q", assistant: "a", system: "sys" }, fileName: "c.csv" }));
    expect(chat.map((r) => r.ok && r.content)).toEqual([
      { messages: [{ role: "system", content: "Be kind" }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }] },
      { messages: [{ role: "user", content: "Bye" }, { role: "assistant", content: "See you" }] },
    ]);
  });

  it("reports a missing mapped column once, up front", async () => {
    const results = await collect(parseCsv(chunks(qa), { format: "instruction", mapping: { instruction: "prompt", output: "answer" }, fileName: "qa.csv" }));
    expect(results).toHaveLength(1);
    const [only] = results;
    if (only?.ok !== false) throw new Error("expected a failure");
    expect(formatIssue(only.file, only.errors[0]!)).toBe('qa.csv, line 1: the header row has no column "prompt" (for instruction); map each field to one of "question", "answer", "context"');
  });

  it("refuses an incomplete mapping", async () => {
    const results = await collect(parseCsv(chunks(qa), { format: "instruction", mapping: { instruction: "question", output: " " }, fileName: "qa.csv" }));
    expect(results).toMatchObject([{ ok: false, line: 0, errors: [{ field: "mapping", message: "the column mapping is incomplete (mapping.output: Choose a column.)" }] }]);
  });

  for (const [name, eol] of [
    ["LF", "\n"],
    ["CRLF", "\r\n"],
  ] as const) {
    it(`gives the starting line of rows after quoted multi-line fields (${name})`, async () => {
      const csv = ["q,a", '"first line', 'second line",one', "", 'two,"a', "b", 'c"', "three,", "four,4"].join(eol) + eol;
      const results = await collect(parseCsv(chunked(csv, 7), { format: "instruction", mapping: { instruction: "q", output: "a" }, fileName: "m.csv" }));
      expect(results.map((r) => [r.line, r.ok])).toEqual([
        [2, true],
        [5, true],
        [8, true],
        [9, true],
      ]);
      expect(results[0]).toMatchObject({ content: { instruction: `first line${eol}second line`, output: "one" } });
    });
  }

  it("names the line and column of a blank required cell and of a short row", async () => {
    const results = await collect(parseCsv(chunks("question,answer\n,4\nonly one\nok,fine\n"), { format: "instruction", mapping: { instruction: "question", output: "answer" }, fileName: "qa.csv" }));
    expect(results.map((r) => (r.ok ? `line ${r.line} ok` : formatIssue(undefined, r.errors[0]!)))).toEqual([
      'line 2: column "question" (instruction) is blank; fill it in or remove the row',
      'line 3: column "answer" is missing on this row (it has 1 cells); add the missing cells, or quote cells that contain commas',
      "line 4 ok",
    ]);
  });

  it("reports an unclosed quote as a CSV error with its line", async () => {
    const results = await collect(parseCsv(chunks('q,a\nx,y\n"open,z\nmore\n'), { format: "instruction", mapping: { instruction: "q", output: "a" }, fileName: "bad.csv" }));
    expect(results[0]).toMatchObject({ ok: true, line: 2 });
    expect(results[1]).toMatchObject({ ok: false, errors: [{ field: "csv", fix: "close the quote that runs to the end of the file" }] });
    expect(results).toHaveLength(2);
  });
});
