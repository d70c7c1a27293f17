import { describe, expect, it } from "vitest";
import { lineProblemIssue, readLines } from "@/server/datanets/parse/lines";
import { formatIssue } from "@/server/datanets/parse/issues";
import { chunked, chunks, collect } from "./helpers";

describe("readLines", () => {
  it("numbers lines from 1 and drops the line ends", async () => {
    expect(await collect(readLines(chunks("a\nb\n\nc")))).toEqual([
      { line: 1, text: "a" },
      { line: 2, text: "b" },
      { line: 3, text: "" },
      { line: 4, text: "c" },
    ]);
  });

  it("strips a BOM and CRLF, even split across chunks", async () => {
    const text = "\uFEFFfirst é\r\nsecond ✓\r\nthird\r\n";
    const expected = [
      { line: 1, text: "first é" },
      { line: 2, text: "second ✓" },
      { line: 3, text: "third" },
    ];
    for (const size of [1, 2, 3, 5, 1000]) expect(await collect(readLines(chunked(text, size)))).toEqual(expected);
  });

  it("keeps a U+FEFF that is not at the start of the file", async () => {
    expect(await collect(readLines(chunks("a\n\uFEFFb\n")))).toEqual([
      { line: 1, text: "a" },
      { line: 2, text: "\uFEFFb" },
    ]);
  });

  it("reports an over-long line by number and reads on", async () => {
    const long = "x".repeat(5000);
    const lines = await collect(readLines(chunked(`ok\n${long}\nafter\n`, 700), { maxLineBytes: 4096 }));
    expect(lines).toEqual([
      { line: 1, text: "ok" },
      { line: 2, text: null, problem: { kind: "too-long", limitBytes: 4096 } },
      { line: 3, text: "after" },
    ]);
    expect(formatIssue("big.jsonl", lineProblemIssue(2, { kind: "too-long", limitBytes: 1024 * 1024 }))).toBe(
      "big.jsonl, line 2: the line is longer than 1024 KiB; split the record or shorten it",
    );
  });

  it("reports invalid UTF-8 on its line", async () => {
    const lines = await collect(readLines(chunks("good\n", new Uint8Array([0x62, 0xff, 0x0a]), "fine\n")));
    expect(lines).toEqual([
      { line: 1, text: "good" },
      { line: 2, text: null, problem: { kind: "not-utf8" } },
      { line: 3, text: "fine" },
    ]);
  });
});
