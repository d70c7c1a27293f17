import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { HashLines } from "@/server/datanets/hash-lines";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("HashLines", () => {
  it("keeps the first line of each hash through many growths, like a Map", () => {
    const index = new HashLines(16);
    const reference = new Map<string, number>();
    for (let i = 1; i <= 50_000; i++) {
      const hash = sha(`row ${i % 37_000}`);
      index.set(hash, i);
      if (!reference.has(hash)) reference.set(hash, i);
    }
    expect(index.size).toBe(reference.size);
    for (const [hash, line] of reference) expect(index.get(hash)).toBe(line);
    expect(index.get(sha("never stored"))).toBeUndefined();
  });

  it("tells apart keys that share their first 32 bits (the probe start)", () => {
    const index = new HashLines(16);
    const base = sha("x");
    const twins = ["0", "1", "2", "3"].map((d) => `${base.slice(0, 8)}${d.repeat(24)}${base.slice(32)}`);
    twins.forEach((hash, i) => index.set(hash, i + 1));
    twins.forEach((hash, i) => expect(index.get(hash)).toBe(i + 1));
    expect(index.get(`${base.slice(0, 8)}${"4".repeat(24)}${base.slice(32)}`)).toBeUndefined();
  });

  it("refuses what is not a hash or not a line", () => {
    const index = new HashLines();
    expect(() => index.set("not-a-hash", 1)).toThrow(/hex sha256/);
    expect(() => index.set(sha("a"), 0)).toThrow(/positive 32-bit/);
  });
});
