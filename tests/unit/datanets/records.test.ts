import { describe, expect, it } from "vitest";
import { contentHash, estimateTokens, normalizeForHash, recordSizeBytes, trainingView, type RecordContent } from "@/server/datanets/records";

const chat: RecordContent = {
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Capital of France?" },
    { role: "assistant", content: "Paris." },
  ],
};

describe("normalizeForHash / contentHash", () => {
  it("sorts keys at every level", () => {
    const reordered = { messages: chat.messages.map((m) => ({ content: m.content, role: m.role })) } as RecordContent;
    expect(normalizeForHash(reordered)).toBe(normalizeForHash(chat));
    expect(normalizeForHash({ output: "b", instruction: "a" })).toBe('{"instruction":"a","output":"b"}');
    expect(contentHash(reordered)).toBe(contentHash(chat));
  });

  it("is stable across CRLF, trailing whitespace and NFC/NFD", () => {
    const nfc = { text: "Café crème\nsecond line" };
    const nfd = { text: "Cafe\u0301 cre\u0300me\r\nsecond line  \t\r\n" };
    expect(nfc.text).not.toBe(nfd.text);
    expect(contentHash(nfd)).toBe(contentHash(nfc));
    expect(normalizeForHash(nfd)).toBe('{"text":"Café crème\\nsecond line"}');
  });

  it("differs for different content, and between formats with the same words", () => {
    expect(contentHash({ text: "Paris." })).not.toBe(contentHash({ text: "Paris!" }));
    expect(contentHash({ instruction: "Q", output: "A" })).not.toBe(contentHash({ instruction: "Q", input: "ctx", output: "A" }));
    expect(contentHash({ text: "A" })).not.toBe(contentHash({ messages: [{ role: "user", content: "A" }] }));
  });

  it("is a 64-character sha256 hex", () => {
    expect(contentHash(chat)).toMatch(/^[0-9a-f]{64}$/);
    // sha256('{"text":"hello"}')
    expect(contentHash({ text: "hello" })).toBe("cbbbdcd27692344de5dbab3abcaba413fb0f45307267de7081401576df1cb176");
  });

  it("measures the canonical form in UTF-8 bytes", () => {
    expect(recordSizeBytes({ text: "é" })).toBe(Buffer.byteLength('{"text":"é"}'));
  });
});

describe("estimateTokens", () => {
  it("counts one token per 4 characters, rounded up", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
  });
});

describe("trainingView", () => {
  it("trains a chat on its assistant turns only", () => {
    const view = trainingView(chat);
    expect(view.prompt).toEqual(["Be brief.", "Capital of France?"]);
    expect(view.answer).toEqual(["Paris."]);
    expect(view.warnings).toEqual([]);
  });

  it("trains an instruction record on its output, a text record on all of it", () => {
    expect(trainingView({ instruction: "Translate", input: "chat", output: "cat" })).toMatchObject({ prompt: ["Translate", "chat"], answer: ["cat"], warnings: [] });
    expect(trainingView({ text: "All of it." })).toMatchObject({ prompt: [], answer: ["All of it."] });
  });

  it("warns about an empty answer", () => {
    expect(trainingView({ instruction: "Q", output: "  " }).warnings).toEqual([{ kind: "empty answer", message: "output is empty" }]);
    const kinds = trainingView({ messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "" }] }).warnings.map((w) => w.kind);
    expect(kinds).toEqual(["empty answer"]);
  });

  it("warns about broken role order", () => {
    const view = trainingView({
      messages: [
        { role: "user", content: "a" },
        { role: "user", content: "b" },
        { role: "system", content: "late" },
        { role: "assistant", content: "c" },
        { role: "user", content: "d" },
      ],
    });
    expect(view.warnings.filter((w) => w.kind === "broken role order").map((w) => w.message)).toEqual([
      "messages[0] and messages[1] are both user turns",
      "messages[2] is a system turn after the first turn",
      "the conversation does not end with an assistant turn",
    ]);
  });

  it("warns about an over-long record, with a configurable limit", () => {
    const long = { text: "x".repeat(4 * 4097) };
    expect(trainingView(long).warnings.map((w) => w.kind)).toEqual(["over-long record"]);
    expect(trainingView({ text: "x".repeat(400) }, { maxTokens: 50 }).warnings[0]?.message).toBe("about 100 tokens, above the limit of 50; longer records are truncated in training");
    expect(trainingView(long, { maxTokens: 10_000 }).warnings).toEqual([]);
  });
});
