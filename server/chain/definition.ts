// A viem chain for any EVM chain id and endpoint. Its own module, free of settings, so the deploy
// script runs before the CHAIN_* settings exist.
import { defineChain, type Chain } from "viem";

/** A viem chain for an id and endpoint (any EVM chain; native currency named generically). */
export function chainDefinition(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}
