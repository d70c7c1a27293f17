// A real anvil node per test file (free port), its dev accounts, clients, and helpers that send a
// call and wait for its receipt, or say which custom error a call reverts with.
import { BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, http, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { chainDefinition } from "@/server/chain/config";
import { ANVIL_MNEMONIC, freePort, startAnvil, type Anvil, type AnvilOptions } from "@/scripts/anvil";

export const CHAIN_ID = 31337;

/** Anvil's dev account `index` (same mnemonic as the node), with its private key. */
export function devAccount(index: number) {
  const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
  const key = account.getHdKey().privateKey;
  if (!key) throw new Error(`no private key for dev account ${index}`);
  return { account, key: `0x${Buffer.from(key).toString("hex")}` as Hex };
}

export async function startTestChain(options: Partial<AnvilOptions> = {}) {
  const port = options.port ?? (await freePort());
  const anvil: Anvil = await startAnvil({ chainId: CHAIN_ID, ...options, port });
  const chain = chainDefinition(CHAIN_ID, anvil.url);
  const publicClient = createPublicClient({ chain, transport: http(anvil.url, { retryCount: 0 }), pollingInterval: 50 });
  const walletClient = createWalletClient({ chain, transport: http(anvil.url, { retryCount: 0 }) });
  return { anvil, port, chain, publicClient, walletClient };
}

/** The custom error a call reverts with, as `Name(arg, …)`; throws when it does not revert. */
export async function revertOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    if (reverted instanceof ContractFunctionRevertedError && reverted.data) {
      return `${reverted.data.errorName}(${(reverted.data.args ?? []).map(String).join(", ")})`;
    }
    throw error;
  }
  throw new Error("the call did not revert");
}

/** JSON-RPC call to anvil's own methods (evm_mine, evm_setAutomine, anvil_dumpState, txpool_status…). */
export async function anvilRpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}
