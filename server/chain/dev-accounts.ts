// Anvil's dev accounts: the node derives them from its public test mnemonic, so every machine has
// the same ones, unlocked (the node signs for them). Never real secrets. Plain module: the local
// chain script, the tests and the test wallets (./test-wallets.ts) share it.
import { mnemonicToAccount } from "viem/accounts";

/** Anvil's documented default mnemonic. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";

/** How many dev accounts anvil unlocks by default. */
export const ANVIL_DEV_ACCOUNTS = 10;

/** The chain id of the local dev chain (anvil's default). */
export const LOCAL_CHAIN_ID = 31337;

/** Dev account `index` as a viem account that signs locally. */
export const devAccountOf = (index: number) => mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
