"use client";
// wagmi + RainbowKit, mounted only on pages that talk to a wallet (sign-in, account).
import { connectorsForWallets, lightTheme, RainbowKitProvider } from "@rainbow-me/rainbowkit";
import "@rainbow-me/rainbowkit/styles.css";
import { coinbaseWallet, injectedWallet, metaMaskWallet, walletConnectWallet } from "@rainbow-me/rainbowkit/wallets";
import { useState, type ReactNode } from "react";
import type { Chain } from "viem";
import { arbitrum, base, foundry, mainnet, optimism } from "viem/chains";
import { createConfig, http, WagmiProvider } from "wagmi";

export interface WalletSettings {
  chainIds: readonly number[];
  walletConnectProjectId: string | null;
}

// brand-700 from app/globals.css, so the wallet dialog matches the app.
const theme = lightTheme({ accentColor: "#0f766e", borderRadius: "medium", fontStack: "system" });

const knownChains: readonly Chain[] = [mainnet, base, optimism, arbitrum, foundry];

function makeConfig({ chainIds, walletConnectProjectId }: WalletSettings) {
  const chains = knownChains.filter((c) => chainIds.includes(c.id));
  const [first, ...rest] = chains.length > 0 ? chains : [mainnet];
  const wallets = walletConnectProjectId
    ? [injectedWallet, metaMaskWallet, coinbaseWallet, walletConnectWallet]
    : [injectedWallet, coinbaseWallet];
  const connectors = connectorsForWallets([{ groupName: "Wallets", wallets }], {
    appName: "Tributary",
    // Only WalletConnect-based wallets use the id; they are offered only when it is set.
    projectId: walletConnectProjectId ?? "unset",
  });
  return createConfig({
    chains: [first!, ...rest],
    connectors,
    transports: Object.fromEntries([first!, ...rest].map((c) => [c.id, http()])),
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
