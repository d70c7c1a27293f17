import { describe, expect, it } from "vitest";
import { formatIssue, type ParseResult } from "@/server/datanets/parse/issues";
import { describeJsonError } from "@/server/datanets/parse/json-error";
import { detectJsonlShape, parseJsonl, type JsonlShape } from "@/server/datanets/parse/jsonl";
import type { RecordFormat } from "@/server/datanets/records";
import { collect, linesOf } from "./helpers";

const openai = { messages: [{ role: "user", content: "2+2?" }, { role: "assistant", content: "4" }] };
const alpaca = { instruction: "Add the numbers", input: "2 and 2", output: "4" };
const sharegpt = { conversations: [{ from: "system", value: "Be exact." }, { from: "human", value: "2+2?" }, { from: "gpt", value: "4" }] };

function parse(objects: unknown[], shape: JsonlShape, format: RecordFormat): Promise<ParseResult[]> {
  return collect(parseJsonl(linesOf(objects.map((o) => (typeof o === "string" ? o : JSON.stringify(o))).join("\n")), { shape, format, fileName: "data.jsonl" }));
}

describe("detectJsonlShape", () => {
  it("detects every shape", () => {
    expect(detectJsonlShape([openai, openai])).toEqual({ shape: "openai-chat" });
    expect(detectJsonlShape([alpaca, { instruction: "x", output: "y" }])).toEqual({ shape: "alpaca" });
    expect(detectJsonlShape([sharegpt])).toEqual({ shape: "sharegpt" });
    expect(detectJsonlShape([{ text: "hello" }])).toEqual({ shape: "text" });
  });

  it("says why it cannot tell", () => {
    expect(detectJsonlShape([])).toEqual({ shape: null, reason: "the first lines hold no JSON objects" });
    expect(detectJsonlShape([{ prompt: "a", completion: "b" }]).reason).toMatch(/^no known shape \(keys seen: prompt, completion\); use OpenAI chat/);
    expect(detectJsonlShape([openai, alpaca]).reason).toBe("the first lines mix shapes (openai-chat, alpaca); use one shape per file");
    expect(detectJsonlShape([[1, 2]]).reason).toMatch(/the lines are not JSON objects/);
  });

  it("leaves a stray line of no known shape to per-line validation", () => {
    expect(detectJsonlShape([openai, { mesages: [] }, openai])).toEqual({ shape: "openai-chat" });
  });
});

describe("parseJsonl conversions", () => {
  it("keeps OpenAI chat as chat, and one user + one assistant as an instruction", async () => {
    expect(await parse([openai], "openai-chat", "chat")).toEqual([{ ok: true, file: "data.jsonl", line: 1, content: openai }]);
    expect(await parse([openai], "openai-chat", "instruction")).toEqual([{ ok: true, file: "data.jsonl", line: 1, content: { instruction: "2+2?", output: "4" } }]);
  });

  it("joins OpenAI text parts", async () => {
    const parts = { messages: [{ role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }, { role: "assistant", content: "c" }] };
    const [result] = await parse([parts], "openai-chat", "chat");
    expect(result).toMatchObject({ ok: true, content: { messages: [{ role: "user", content: "ab" }, { role: "assistant", content: "c" }] } });
  });

  it("maps ShareGPT roles to chat", async () => {
    const [result] = await parse([sharegpt, { conversations: [{ from: "user", value: "q" }, { from: "model", value: "a" }] }], "sharegpt", "chat").then((r) => r);
    expect(result).toMatchObject({
      ok: true,
      content: { messages: [{ role: "system", content: "Be exact." }, { role: "user", content: "2+2?" }, { role: "assistant", content: "4" }] },
    });
  });

  it("turns Alpaca into an instruction, or a user/assistant chat", async () => {
    expect((await parse([alpaca], "alpaca", "instruction"))[0]).toMatchObject({ ok: true, content: alpaca });
    expect((await parse([{ instruction: "Say hi", input: "", output: "hi" }], "alpaca", "instruction"))[0]).toMatchObject({ ok: true, content: { instruction: "Say hi", output: "hi" } });
    expect((await parse([alpaca], "alpaca", "chat"))[0]).toMatchObject({
      ok: true,
      content: { messages: [{ role: "user", content: "Add the numbers\n\n2 and 2" }, { role: "assistant", content: "4" }] },
    });
  });

  it("refuses a longer conversation as an instruction record, per line", async () => {
    const [result] = await parse([sharegpt], "sharegpt", "instruction");
    expect(result?.ok).toBe(false);
    if (result?.ok !== false) return;
    expect(formatIssue(undefined, result.errors[0]!)).toBe(
      "line 1: conversations has 3 turns (system, user, assistant), but an instruction record is one user turn then one assistant turn; keep one question and its answer per line, or upload to a chat Datanet",
    );
  });

  it("refuses shapes that cannot become the Datanet's format, once for the file", async () => {
    const toText = await parse([openai, openai], "openai-chat", "text");
    expect(toText).toHaveLength(1);
    expect(toText[0]).toMatchObject({ ok: false, line: 0, errors: [{ field: "format" }] });
    const fromText = await parse([{ text: "x" }], "text", "chat");
    expect(formatIssue("notes.jsonl", (fromText[0] as Extract<ParseResult, { ok: false }>).errors[0]!)).toBe(
      'notes.jsonl: the file is plain text ({"text"}), which cannot become chat records; upload it to a text Datanet, or convert it to chat or instruction lines',
    );
    expect(await parse([{ text: "x" }], "text", "text")).toEqual([{ ok: true, file: "data.jsonl", line: 1, content: { text: "x" } }]);
  });
});

describe("parseJsonl errors", () => {
  it("names the line, the field, the bad value and the fix for a bad role", async () => {
    const good = JSON.stringify(openai);
    const lines = Array.from({ length: 16 }, () => good);
    lines.push(JSON.stringify({ messages: [{ role: "system", content: "s" }, { role: "user", content: "u" }, { role: "bot", content: "a" }] }));
    const results = await parse(lines, "openai-chat", "chat");
    const bad = results[16];
    expect(bad).toMatchObject({ ok: false, line: 17, errors: [{ line: 17, field: "messages[2].role" }] });
    if (bad?.ok !== false) return;
    expect(formatIssue(undefined, bad.errors[0]!)).toBe('line 17: messages[2].role is "bot"; use one of system, user, assistant');
    expect(formatIssue("chat.jsonl", bad.errors[0]!)).toBe('chat.jsonl, line 17: messages[2].role is "bot"; use one of system, user, assistant');
  });

  it("reports missing and mistyped fields, and a bad ShareGPT speaker", async () => {
    const results = await parse([{ messages: [{ role: "user" }] }, { instruction: " ", output: 4 }, { conversations: [{ from: "bot", value: "x" }] }], "openai-chat", "chat");
    expect(results[0]).toMatchObject({ ok: false, errors: [{ field: "messages[0].content", message: "messages[0].content is missing" }] });
    const alpacaErrors = await parse([{ instruction: " ", output: 4 }], "alpaca", "instruction");
    expect(alpacaErrors[0]).toMatchObject({
      ok: false,
      errors: [
        { field: "instruction", message: "instruction is blank", fix: "fill it in or remove the record" },
        { field: "output", message: "output is number 4, not a string", fix: "make output a string" },
      ],
    });
    const speaker = await parse([{ conversations: [{ from: "bot", value: "x" }] }], "sharegpt", "chat");
    expect(speaker[0]).toMatchObject({ ok: false, errors: [{ message: 'conversations[0].from is "bot"', fix: "use one of human, user, gpt, assistant, model, system" }] });
  });

  it("reports invalid JSON with its position, skips blank lines and keeps going", async () => {
    const results = await parse([openai, "", '{"messages": [}', "   ", openai, "[1]"], "openai-chat", "chat");
    expect(results.map((r) => [r.line, r.ok])).toEqual([
      [1, true],
      [3, false],
      [5, true],
      [6, false],
    ]);
    const [, invalid, , list] = results;
    if (invalid?.ok !== false || list?.ok !== false) throw new Error("expected failures");
    expect(invalid.errors[0]?.message).toMatch(/^the line is not valid JSON at column 15 \(/);
    expect(invalid.errors[0]?.fix).toBe("write one complete JSON object per line");
    expect(list.errors[0]?.message).toBe("the line is a JSON list, not an object");
  });
});

describe("describeJsonError", () => {
  it("points at the first bad character, or says the line ends early", () => {
    expect(describeJsonError('{"a": 1}')).toBe("");
    expect(describeJsonError('{"a": 1,}')).toBe('at column 9 (unexpected "}")');
    expect(describeJsonError("{'a': 1}")).toBe(`at column 2 (unexpected "'")`);
    expect(describeJsonError('{"a": tru}')).toBe('at column 7 (unexpected "t")');
    expect(describeJsonError('{"a": "x\\q"}')).toBe('at column 9 (unexpected "\\\\")');
    expect(describeJsonError('{"a": [1, 2')).toBe("(it ends too early)");
    expect(describeJsonError('{"a": 1} x')).toBe('at column 10 (unexpected "x")');
    expect(describeJsonError("[".repeat(100_000))).toBe("(it ends too early)");
  });

  it("names the accepted types when a value has the wrong one", async () => {
    const results = await parse([{ messages: [{ role: "user", content: 7 }] }], "openai-chat", "chat");
    expect(results[0]).toMatchObject({ ok: false, errors: [{ message: "messages[0].content is number 7, not a string or an array", fix: "make messages[0].content a string or an array" }] });
  });
});
