// Where the indexer's first backfill starts: CHAIN_START_BLOCK on a chain from the settings (block
// 0 unset), the recorded deployment block on the local dev chain; refused without CHAIN_RPC_URL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { importWithEnv, restoreEnv } from "../../helpers/env";

const configured = { CHAIN_RPC_URL: "https://rpc.example.org", CHAIN_ID: "8453", CHAIN_REGISTRY_ADDRESS: `0x${"1".repeat(40)}`, CHAIN_REWARDS_ADDRESS: `0x${"2".repeat(40)}` };
const dataDirs: string[] = [];

const chainConfigWith = (settings: Record<string, string>) => importWithEnv(settings, () => import("@/server/chain/config"));

afterEach(() => {
  restoreEnv();
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the indexer's start block", () => {
  it("is CHAIN_START_BLOCK on a configured chain, and block 0 when it is unset", async () => {
    expect((await chainConfigWith({ ...configured, CHAIN_START_BLOCK: "24310877" })).chainConfig()).toMatchObject({ source: "settings", chainId: 8453, startBlock: 24_310_877n });
    expect((await chainConfigWith({ ...configured, CHAIN_START_BLOCK: "" })).chainConfig()).toMatchObject({ source: "settings", startBlock: 0n });
  });

  it("is the recorded deployment block on the local dev chain", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "tributary-start-block-"));
    dataDirs.push(dataDir);
    const { chainConfig, writeLocalChain } = await chainConfigWith({ DATA_DIR: dataDir, CHAIN_RPC_URL: "" });
    writeLocalChain({ rpcUrl: "http://127.0.0.1:8545", chainId: 31337, registry: `0x${"1".repeat(40)}`, rewards: `0x${"2".repeat(40)}`, committerKey: `0x${"3".repeat(64)}`, deployedAtBlock: 7 });
    expect(chainConfig()).toMatchObject({ source: "local dev chain", startBlock: 7n });
  });

  it("refuses a value that is not a block number, and the setting without CHAIN_RPC_URL, naming it", async () => {
    await expect(chainConfigWith({ ...configured, CHAIN_START_BLOCK: "-5" })).rejects.toThrow(/CHAIN_START_BLOCK: must be a block number/);
    await expect(chainConfigWith({ ...configured, CHAIN_START_BLOCK: "0x10" })).rejects.toThrow(/CHAIN_START_BLOCK: must be a block number/);
    await expect(chainConfigWith({ CHAIN_RPC_URL: "", CHAIN_START_BLOCK: "100" })).rejects.toThrow(/CHAIN_START_BLOCK: only with CHAIN_RPC_URL/);
  });
});
