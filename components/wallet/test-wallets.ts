// Test wallets: anvil dev accounts offered in the connect dialog when the server's
// TEST_WALLET_ACCOUNTS says so (server/chain/wallet-settings.ts: on the local dev chain only).
// Each is wagmi's mock connector for one account: it answers the account and chain itself and
// sends everything else (transactions, and personal_sign as eth_sign) to the chain's node, which
// signs for its unlocked dev accounts. The e2e tests connect and claim through them.
import type { Wallet } from "@rainbow-me/rainbowkit";
import type { Address } from "viem";
import { createConnector } from "wagmi";
import { mock } from "wagmi/connectors";

export interface TestWallet {
  /** The anvil dev account's number. */
  index: number;
  address: Address;
}

// A flask, drawn in the app's brand colour: a wallet for tests, not a product.
const icon = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 28 28"><rect width="28" height="28" fill="#f0fdfa"/><path d="M11 5h6M12 5v7l-5 9a2 2 0 0 0 2 3h10a2 2 0 0 0 2-3l-5-9V5" fill="none" stroke="#0f766e" stroke-width="2" stroke-linejoin="round"/></svg>',
)}`;

export function testWallet({ index, address }: TestWallet): () => Wallet {
  const id = `tributary-test-wallet-${index}`;
  // Short enough for one line of the dialog; the address shows once connected.
  const name = `Test wallet ${index}`;
  return () => ({
    id,
    name,
    iconUrl: icon,
    iconBackground: "#f0fdfa",
    installed: true,
    createConnector: (details) => createConnector((config) => ({ ...mock({ accounts: [address] })(config), id, name, ...details })),
  });
}
