// The e2e server's test wallets (TEST_WALLET_ACCOUNTS in scripts/e2e-server.ts): anvil dev
// accounts that the app offers as "Test wallet N" in the connect dialog, through wagmi's mock
// connector; the local chain signs and sends for them. Also the chain itself, for checks.
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import type { Address } from "viem";
import { devAccountOf } from "../../server/chain/dev-accounts";

/** Which dev account each spec uses (0 deploys, 1 commits): a spec's wallet is never another's. */
export const TEST_WALLETS = { claimer: 7, signIn: 8, linker: 9 } as const;

export const testWalletAddress = (index: number): Address => devAccountOf(index).address;

/** The e2e server's local chain, as it recorded it once started. */
export const localChain = () => JSON.parse(readFileSync(path.resolve(".data/e2e/chain.json"), "utf8")) as { rpcUrl: string; chainId: number; registry: Address; rewards: Address };

/** A JSON-RPC call to the local anvil (evm_mine, evm_setAutomine…). */
export async function anvilRpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(localChain().rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`anvil ${method}: ${body.error.message}`);
  return body.result;
}

/** Opens the connect dialog with `connectButton` and picks test wallet `index`. */
export async function connectTestWallet(page: Page, index: number, connectButton: string) {
  await page.getByRole("button", { name: connectButton, exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: new RegExp(`^Test wallet ${index}\\b`) }).click();
  await expect(dialog).toBeHidden();
}

/** Disconnects the connected wallet from the account dialog that its address button opens. */
export async function disconnectWallet(page: Page, index: number) {
  const address = testWalletAddress(index);
  await page.getByRole("button", { name: new RegExp(`${address.slice(0, 4)}.*${address.slice(-4)}`) }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disconnect" }).click();
}

/** Links test wallet `index` to the signed-in user on the account page, signing its SIWE message. */
export async function linkTestWallet(page: Page, orgSlug: string, index: number, expected = "Wallet linked") {
  await page.goto(`/${orgSlug}/settings/account`);
  await connectTestWallet(page, index, "Connect a wallet");
  await page.getByRole("button", { name: "Link this wallet" }).click();
  await expect(page.getByText(expected)).toBeVisible();
}
