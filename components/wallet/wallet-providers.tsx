"use client";
// wagmi + RainbowKit, mounted only on pages that talk to a wallet (sign-in, account, claims).
import { connectorsForWallets, lightTheme, RainbowKitProvider } from "@rainbow-me/rainbowkit";
import "@rainbow-me/rainbowkit/styles.css";
import { coinbaseWallet, injectedWallet, metaMaskWallet, walletConnectWallet } from "@rainbow-me/rainbowkit/wallets";
import { useState, type ReactNode } from "react";
import { defineChain, type Chain } from "viem";
import { arbitrum, base, foundry, mainnet, optimism } from "viem/chains";
import { createConfig, fallback, http, unstable_connector, WagmiProvider, type Transport } from "wagmi";
import { injected } from "wagmi/connectors";
import { testWallet, type TestWallet } from "./test-wallets";

export interface WalletSettings {
  chainIds: readonly number[];
  walletConnectProjectId: string | null;
  /**
   * The chain the platform's contracts are on, for pages that send transactions (claims): its
   * receipts are read through the wallet, or from `rpcUrl` when the server offers one a browser
   * may use (the local dev chain's).
   */
  appChain?: { id: number; rpcUrl: string | null };
  /** Test-only (TEST_WALLET_ACCOUNTS, local dev chain only): anvil dev accounts offered as wallets. */
  testWallets?: readonly TestWallet[];
}

// brand-700 from app/globals.css, so the wallet dialog matches the app.
const theme = lightTheme({ accentColor: "#0f766e", borderRadius: "medium", fontStack: "system" });

const knownChains: readonly Chain[] = [mainnet, base, optimism, arbitrum, foundry];

/** The app's chain and how a browser reads it: the wallet's own provider first, then a public endpoint. */
function appChainOf({ id, rpcUrl }: NonNullable<WalletSettings["appChain"]>): { chain: Chain; transport: Transport } {
  const known = knownChains.find((c) => c.id === id);
  const chain = rpcUrl
    ? defineChain({ id, name: id === foundry.id ? "Local chain" : `Chain ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } })
    : (known ?? defineChain({ id, name: `Chain ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } }));
  // A chain from the settings has its RPC URL (and any key in it) kept on the server.
  const endpoints = rpcUrl || known ? [http(rpcUrl ?? undefined)] : [];
  return { chain, transport: fallback([unstable_connector(injected), ...endpoints]) };
}

function makeConfig({ chainIds, walletConnectProjectId, appChain, testWallets = [] }: WalletSettings) {
  const app = appChain ? appChainOf(appChain) : null;
  const signIn = knownChains.filter((c) => chainIds.includes(c.id) && c.id !== app?.chain.id);
  const chains = app ? [app.chain, ...signIn] : signIn;
  const [first, ...rest] = chains.length > 0 ? chains : [mainnet];
  const wallets = walletConnectProjectId
    ? [injectedWallet, metaMaskWallet, coinbaseWallet, walletConnectWallet]
    : [injectedWallet, coinbaseWallet];
  // The mock connector sends to the first chain's endpoint: only the local dev chain's (anvil's) will do.
  const tests = appChain?.id === foundry.id && appChain.rpcUrl ? testWallets.map(testWallet) : [];
  const groups = [{ groupName: "Wallets", wallets }, ...(tests.length > 0 ? [{ groupName: "Test wallets (local chain)", wallets: tests }] : [])];
  const connectors = connectorsForWallets(groups, {
    appName: "Tributary",
    // Only WalletConnect-based wallets use the id; they are offered only when it is set.
    projectId: walletConnectProjectId ?? "unset",
  });
  return createConfig({
    chains: [first!, ...rest],
    connectors,
    transports: Object.fromEntries([first!, ...rest].map((c) => [c.id, c.id === app?.chain.id ? app.transport : http()])),
    ssr: true,
  });
}

export function WalletProviders({ settings, children }: { settings: WalletSettings; children: ReactNode }) {
  const [config] = useState(() => makeConfig(settings));
  return (
    <WagmiProvider config={config}>
      <RainbowKitProvider theme={theme}>{children}</RainbowKitProvider>
    </WagmiProvider>
  );
}
