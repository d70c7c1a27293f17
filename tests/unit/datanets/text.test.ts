import { describe, expect, it } from "vitest";
import { readLines } from "@/server/datanets/parse/lines";
import { splitText } from "@/server/datanets/parse/text";
import { chunks, collect } from "./helpers";

async function split(text: string, markdown: boolean, maxChars = 4000) {
  const results = await collect(splitText(readLines(chunks(text)), { fileName: "doc", markdown, maxChars }));
  return results.map((r) => (r.ok && "text" in r.content ? { line: r.line, text: r.content.text } : r));
}

describe("splitText (Markdown)", () => {
  it("starts a record at every heading, with the line it starts on; a heading is its own paragraph", async () => {
    const md = ["# Title", "", "Intro paragraph.", "", "## Part one", "First.", "", "Second.", "", "### Deeper", "Third."].join("\n");
    expect(await split(md, true)).toEqual([
      { line: 1, text: "# Title\n\nIntro paragraph." },
      { line: 5, text: "## Part one\n\nFirst.\n\nSecond." },
      { line: 10, text: "### Deeper\n\nThird." },
    ]);
  });

  it("does not split inside fenced code", async () => {
    const md = ["# Code", "```", "# not a heading", "", "x = 1", "```", "After."].join("\n");
    expect(await split(md, true)).toEqual([{ line: 1, text: "# Code\n\n```\n# not a heading\n\nx = 1\n```\nAfter." }]);
  });

  it("keeps every record within maxChars", async () => {
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} ${"word ".repeat(20 + i)}`.trim());
    const md = `# Big\n\n${paragraphs.join("\n\n")}\n# Small\nend`;
    const records = await split(md, true, 300);
    for (const r of records) expect("text" in r && r.text.length).toBeLessThanOrEqual(300);
    expect(records.at(-1)).toEqual({ line: 62, text: "# Small\n\nend" });
    // Nothing lost: every paragraph is in some record, in order.
    const all = records.map((r) => ("text" in r ? r.text : "")).join("\n\n");
    let at = 0;
    for (const p of paragraphs) {
      at = all.indexOf(p.slice(0, 20), at);
      expect(at).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("splitText (plain text)", () => {
  it("packs small paragraphs together, treating # as text", async () => {
    expect(await split("one\n\n# two\n\n\nthree\nstill three\n", false)).toEqual([{ line: 1, text: "one\n\n# two\n\nthree\nstill three" }]);
  });

  it("starts a new record when the next paragraph would not fit", async () => {
    const a = "a".repeat(150);
    const b = "b".repeat(150);
    expect(await split(`${a}\n\n${b}\n\n${a}`, false, 200)).toEqual([
      { line: 1, text: a },
      { line: 3, text: b },
      { line: 5, text: a },
    ]);
  });

  it("cuts an oversized paragraph at lines, and an oversized line at a space", async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${"x".repeat(40)}`);
    const records = await split(lines.join("\n"), false, 120);
    expect(records.map((r) => "line" in r && r.line)).toEqual([1, 3, 5, 7, 9]);
    const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(" ");
    const cut = await split(`short\n\n${long}`, false, 100);
    expect(cut[0]).toEqual({ line: 1, text: "short" });
    for (const r of cut.slice(1)) {
      expect(r).toMatchObject({ line: 3 });
      expect("text" in r && r.text.length).toBeLessThanOrEqual(100);
      expect("text" in r && /^w\d+( w\d+)*$/.test(r.text)).toBe(true);
    }
    expect(cut.slice(1).map((r) => ("text" in r ? r.text : "")).join(" ")).toBe(long);
  });

  it("cuts a line with no spaces at exactly maxChars", async () => {
    const records = await split("z".repeat(250), false, 100);
    expect(records.map((r) => "text" in r && r.text.length)).toEqual([100, 100, 50]);
  });

  it("reports an empty file", async () => {
    expect(await split("\n\n  \n", false)).toMatchObject([{ ok: false, line: 0, errors: [{ message: "the file has no text" }] }]);
  });
});
