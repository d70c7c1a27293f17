// TEST_WALLET_ACCOUNTS: anvil dev accounts offered as test wallets, on the local dev chain (anvil,
// chain id 31337) only; another chain or a configured one gets none, and CHAIN_RPC_URL refuses it.
import { afterEach, describe, expect, it } from "vitest";
import type { ChainConfig } from "@/server/chain/config";
import { devAccount } from "@/scripts/anvil";
import { importWithEnv, restoreEnv } from "../../helpers/env";

const withEnv = (settings: Record<string, string>) => importWithEnv(settings, () => import("@/server/chain/wallet-settings"));

afterEach(restoreEnv);

const localChain: ChainConfig = {
  rpcUrl: "http://127.0.0.1:8545",
  chainId: 31337,
  addresses: { registry: `0x${"1".repeat(40)}`, rewards: `0x${"2".repeat(40)}` },
  committerKey: devAccount(1).key,
  confirmations: 1,
  source: "local dev chain",
};

describe("test wallets", () => {
  it("are the listed anvil dev accounts on the local dev chain", async () => {
    const { testWallets } = await withEnv({ TEST_WALLET_ACCOUNTS: "7, 9" });
    expect(testWallets(localChain)).toEqual([
      { index: 7, address: devAccount(7).account.address },
      { index: 9, address: devAccount(9).account.address },
    ]);
  });

  it("are none on any other chain, or when unset", async () => {
    const { testWallets } = await withEnv({ TEST_WALLET_ACCOUNTS: "7" });
    expect(testWallets({ ...localChain, source: "settings" })).toEqual([]);
    expect(testWallets({ ...localChain, chainId: 1337 })).toEqual([]);
    expect(testWallets(null)).toEqual([]);
    const unset = await withEnv({ TEST_WALLET_ACCOUNTS: "" });
    expect(unset.testWallets(localChain)).toEqual([]);
  });

  it("stop the process when a chain is configured, naming the setting", async () => {
    await expect(
      withEnv({ TEST_WALLET_ACCOUNTS: "7", CHAIN_RPC_URL: "https://rpc.example.org", CHAIN_REGISTRY_ADDRESS: localChain.addresses.registry, CHAIN_REWARDS_ADDRESS: localChain.addresses.rewards }),
    ).rejects.toThrow(/TEST_WALLET_ACCOUNTS: test-only: .* unset it when CHAIN_RPC_URL is set/);
  });

  it("refuses an account anvil does not have", async () => {
    await expect(withEnv({ TEST_WALLET_ACCOUNTS: "12" })).rejects.toThrow(/TEST_WALLET_ACCOUNTS.*anvil has dev accounts 0 to 9/);
    await expect(withEnv({ TEST_WALLET_ACCOUNTS: "seven" })).rejects.toThrow(/TEST_WALLET_ACCOUNTS/);
  });
});
