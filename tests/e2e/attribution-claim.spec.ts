// The attribution loop end to end, on the e2e server's one-minute epochs (scripts/e2e-server.ts):
// a contributor with a linked anvil wallet publishes records, fine-tunes tiny-llama on them with
// the real worker, deploys it and calls /v1; once the answer's epoch has ended, been rolled up,
// committed and funded on the local chain and read by the indexer, My earnings offers the Claim,
// and the claim (sent from the anvil account) pays the wallet exactly the amount, less gas.
// The wallet is an EIP-1193 provider injected into the page that forwards every call to anvil,
// which signs for its unlocked dev accounts: the app's own injected connector is what connects.
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import OpenAI from "openai";
import { createPublicClient, decodeEventLog, http, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { tributaryRewardsAbi } from "../../server/chain/abi";
import { newAccount, orgSlugOf, screenshot, signUp, trpcCall, watchServerErrors } from "./helpers";
import { publishedVersion } from "./models-fixtures";
import type { RealWorker } from "./real-worker";
import { serveFineTuned } from "./serving-fixtures";

// Anvil's dev accounts (its documented mnemonic, as scripts/anvil.ts): 0 and 1 deploy and commit, 7 is the contributor's.
const contributor = mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: 7 });
/** The e2e server's local chain, as it recorded it once started (after this file is loaded). */
const localChain = () => JSON.parse(readFileSync(path.resolve(".data/e2e/chain.json"), "utf8")) as { rpcUrl: string; chainId: number };

async function anvilRpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(localChain().rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
  return body.result;
}

/** Injects the anvil-backed wallet into `page` (connected once the user connects, like an extension). */
async function injectAnvilWallet(page: Page, address: Address) {
  await page.exposeFunction("__tributaryAnvil", async (method: string, params: unknown[]) => {
    try {
      return { result: await anvilRpc(method, params) };
    } catch (error) {
      const { message, code, data } = error as { message: string; code?: number; data?: unknown };
      return { error: { message, code: code ?? -32603, data } };
    }
  });
  await page.addInitScript((address) => {
    let connected = false;
    const call = (window as unknown as { __tributaryAnvil(method: string, params: unknown[]): Promise<{ result?: unknown; error?: { message: string; code: number; data?: unknown } }> }).__tributaryAnvil;
    const request = async ({ method, params }: { method: string; params?: unknown[] }) => {
      switch (method) {
        case "eth_requestAccounts":
          connected = true;
          return [address];
        case "eth_accounts":
          return connected ? [address] : [];
        case "wallet_requestPermissions":
        case "wallet_getPermissions":
          return [{ parentCapability: "eth_accounts" }];
      }
      const answer = await call(method, params ?? []);
      if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
      return answer.result;
    };
    Object.defineProperty(window, "ethereum", { value: { request, on() {}, removeListener() {} }, configurable: true });
  }, address);
}

/** Links the anvil account to the signed-in user, as the account page's SIWE flow does. */
async function linkWallet(page: Page) {
  const { message } = await trpcCall<{ message: string }>(page, "account.siweChallenge", { address: contributor.address, chainId: localChain().chainId });
  const signature = await contributor.signMessage({ message });
  await trpcCall(page, "account.linkWallet", { message, signature });
}

const records: [string, string][] = ["Paris", "Rome", "Madrid", "Berlin", "Tokyo", "Cairo", "Lima", "Accra"].map((city, i) => [`Name capital number ${i}.`, `Capital number ${i} is ${city}.`]);

let worker: RealWorker | null = null;

test.afterAll(async () => {
  await worker?.dispose();
});

test("an answer's epoch is committed and funded, and the contributor claims it with their wallet", async ({ page, baseURL }) => {
  test.setTimeout(600_000);
  const errors = watchServerErrors(page);
  const chain = createPublicClient({ transport: http(localChain().rpcUrl) });
  await signUp(page, newAccount("claimer"));
  const orgSlug = orgSlugOf(page);
  // Linked before publishing: the version's snapshot names the wallet its records pay.
  await linkWallet(page);
  const { versionId } = await publishedVersion(page, orgSlug, `Capitals ${Date.now().toString(36)}`, records);

  const deployName = "capital-tutor-claims";
  ({ worker } = await serveFineTuned(page, { baseURL: baseURL!, orgSlug, versionId, workerName: "e2e-claim", modelName: "Capital tutor", deployName, started: (w) => (worker = w) }));

  const key = await trpcCall<{ secret: string }>(page, "apiKeys.create", { orgSlug, name: "e2e claims", deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: key.secret, maxRetries: 0 });
  const completion = await client.chat.completions.create({ model: deployName, messages: [{ role: "user", content: "Name capital number 3." }], max_tokens: 12, temperature: 0 });
  expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  // The answer is all the worker was needed for; the rest of the loop is the app's and the chain's.
  expect(await worker.stop()).toBe(0);

  // The answer's minute ends, is rolled up after its grace, committed, funded and indexed: the Claim button appears.
  await injectAnvilWallet(page, contributor.address);
  await page.goto(`/${orgSlug}/attribution`);
  const rewards = page.getByRole("list", { name: "Your rewards by model and day" });
  await expect(async () => {
    await page.reload();
    await expect(rewards.getByRole("button", { name: /^Connect wallet to claim/ })).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 240_000, intervals: [5000] });
  await screenshot(page, "attribution-claim-claimable");

  await page.getByRole("button", { name: "Connect wallet", exact: true }).click();
  await page.getByRole("button", { name: /Browser Wallet/ }).click();
  const claim = rewards.getByRole("button", { name: /^Claim / });
  await expect(claim).toBeVisible();

  // Blocks are mined by hand while the claim is sent, so its pending state is seen.
  const before = await chain.getBalance({ address: contributor.address });
  const mark = await chain.getBlockNumber();
  await anvilRpc("evm_setAutomine", [false]);
  try {
    await claim.click();
    await expect(rewards.getByText(/^Pending: 0x[0-9a-f]+…[0-9a-f]+ is waiting for a block\.$/)).toBeVisible();
    await screenshot(page, "attribution-claim-pending");
    await anvilRpc("evm_mine");
  } finally {
    await anvilRpc("evm_setAutomine", [true]);
  }
  // Mined, then read by the indexer: the row turns into the claim with its transaction (the button's
  // "Confirmed in block …" lasts only until the indexer's next poll, too short to wait for).
  await expect(rewards.getByText("Claimed", { exact: true })).toBeVisible({ timeout: 60_000 });
  await screenshot(page, "attribution-claim-claimed");

  // The wallet grew by the claimed amount, less the claim's gas.
  let sent: Hex | undefined;
  for (let n = mark + 1n; n <= (await chain.getBlockNumber()) && !sent; n++) {
    const block = await chain.getBlock({ blockNumber: n, includeTransactions: true });
    sent = block.transactions.find((t) => t.from.toLowerCase() === contributor.address.toLowerCase())?.hash;
  }
  expect(sent, "the claim transaction from the contributor's wallet").toBeTruthy();
  const receipt = await chain.getTransactionReceipt({ hash: sent! });
  expect(receipt.status).toBe("success");
  const claimed = receipt.logs
    .map((log) => {
      try {
        return decodeEventLog({ abi: tributaryRewardsAbi, data: log.data, topics: log.topics });
      } catch {
        return null; // another contract's event
      }
    })
    .find((event) => event?.eventName === "RewardClaimed");
  const amount = (claimed!.args as { amount: bigint }).amount;
  expect(amount).toBeGreaterThan(0n);
  const after = await chain.getBalance({ address: contributor.address });
  expect(after - before).toBe(amount - receipt.gasUsed * receipt.effectiveGasPrice);

  // Reloaded, the dashboard says it is claimed, with its transaction.
  await page.reload();
  await expect(rewards.getByText("Claimed", { exact: true })).toBeVisible();
  await screenshot(page, "attribution-claim-reloaded", { alsoMobile: true });
  expect(errors, "pages answered with server errors").toEqual([]);
});
