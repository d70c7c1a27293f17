// The committed contract artifacts are what the pinned solc makes of the committed sources.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildContracts } from "@/scripts/compile-contracts";

describe("contracts build", () => {
  it("recompiling contracts/ gives the committed ABI, bytecode and generated TypeScript byte for byte", () => {
    const files = buildContracts();
    expect(files.map((f) => f.path).sort()).toEqual([
      "contracts/build/TestToken.json",
      "contracts/build/TributaryRegistry.json",
      "contracts/build/TributaryRewards.json",
      "server/chain/abi.ts",
      "server/chain/bytecode.ts",
    ]);
    for (const file of files) {
      const committed = readFileSync(path.join(process.cwd(), file.path), "utf8");
      expect(committed, `${file.path} is stale: run npm run contracts:build and commit it`).toBe(file.content);
    }
  }, 60_000);
});
