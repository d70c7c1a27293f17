// What the browser's wallet code (components/wallet/wallet-providers.tsx) is told, passed from
// server pages as props: the chains a wallet may sign in from, WalletConnect's project, the chain
// claims are sent on, and, in tests on the local dev chain only, the test wallets.
import "server-only";
import type { WalletSettings } from "@/components/wallet/wallet-providers";
import { env } from "@/server/env";
import { appChainConfig, type ChainConfig } from "./config";
import { devAccountOf, LOCAL_CHAIN_ID } from "./dev-accounts";

/**
 * The chain as a wallet in the browser gets it: its id, and an endpoint to read receipts from only
 * for the local dev chain (this machine's); a configured chain's URL, which may hold a key, stays here.
 */
export function walletAppChain(chain: ChainConfig | null) {
  return chain ? { id: chain.chainId, rpcUrl: chain.source === "local dev chain" ? chain.rpcUrl : null } : undefined;
}

/**
 * TEST_WALLET_ACCOUNTS as wallets, on the local dev chain (anvil on chain 31337, whose node signs
 * for its dev accounts) and nowhere else: a configured chain, or any other id, gets none.
 */
export function testWallets(chain: ChainConfig | null): NonNullable<WalletSettings["testWallets"]> {
  if (!chain || chain.source !== "local dev chain" || chain.chainId !== LOCAL_CHAIN_ID) return [];
  return env.TEST_WALLET_ACCOUNTS.map((index) => ({ index, address: devAccountOf(index).address }));
}

/** `withAppChain`: the page sends transactions (claims). Test wallets always come with the local chain they send through. */
export function walletSettings({ withAppChain = false } = {}): WalletSettings {
  const chain = appChainConfig();
  const tests = testWallets(chain);
  return {
    chainIds: env.SIWE_CHAIN_IDS,
    walletConnectProjectId: env.WALLETCONNECT_PROJECT_ID ?? null,
    ...(withAppChain || tests.length > 0 ? { appChain: walletAppChain(chain) } : {}),
    ...(tests.length > 0 ? { testWallets: tests } : {}),
  };
}
