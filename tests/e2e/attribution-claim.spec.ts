// The attribution loop end to end, on the e2e server's one-minute epochs (scripts/e2e-server.ts):
// a contributor links a test wallet (wagmi's mock connector on anvil dev account 7), publishes
// records, fine-tunes tiny-llama on them with the real worker, deploys it and calls /v1; once the
// answer's epoch has ended, been rolled up, committed and funded on the local chain and read by
// the indexer, My earnings offers the Claim. Another test wallet is refused in words before
// anything is signed; the contributor's own claims, the local chain sends it from the unlocked
// account, the balance grows by exactly the amount less gas, and the dashboard shows it claimed.
import { expect, test } from "@playwright/test";
import OpenAI from "openai";
import { createPublicClient, decodeEventLog, http, type Hex } from "viem";
import { tributaryRewardsAbi } from "../../server/chain/abi";
import { newAccount, orgSlugOf, screenshot, signUp, trpcCall, watchServerErrors } from "./helpers";
import { publishedVersion } from "./models-fixtures";
import type { RealWorker } from "./real-worker";
import { serveFineTuned } from "./serving-fixtures";
import { anvilRpc, connectTestWallet, disconnectWallet, linkTestWallet, localChain, TEST_WALLETS, testWalletAddress } from "./test-wallets";

const contributor = testWalletAddress(TEST_WALLETS.claimer);
/** How the pages name a one-minute epoch: by the minute it starts. */
const MINUTE_LABEL = /^\d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2} UTC$/;

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
  await linkTestWallet(page, orgSlug, TEST_WALLETS.claimer);
  const { versionId, datanetSlug } = await publishedVersion(page, orgSlug, `Capitals ${Date.now().toString(36)}`, records);

  const deployName = "capital-tutor-claims";
  let modelSlug: string;
  ({ worker, modelSlug } = await serveFineTuned(page, { baseURL: baseURL!, orgSlug, versionId, workerName: "e2e-claim", modelName: "Capital tutor", deployName, started: (w) => (worker = w) }));

  const key = await trpcCall<{ secret: string }>(page, "apiKeys.create", { orgSlug, name: "e2e claims", deploymentIds: null, expiresAt: null, requestsPerMinute: null, tokensPerMinute: null });
  const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: key.secret, maxRetries: 0 });
  const completion = await client.chat.completions.create({ model: deployName, messages: [{ role: "user", content: "Name capital number 3." }], max_tokens: 12, temperature: 0 });
  expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  // The answer is all the worker was needed for; the rest of the loop is the app's and the chain's.
  expect(await worker.stop()).toBe(0);

  // The answer's minute ends, is rolled up after its grace, committed, funded and indexed: the Claim button appears.
  await page.goto(`/${orgSlug}/attribution`);
  const rewards = page.getByRole("list", { name: "Your rewards by model and day" });
  await expect(async () => {
    await page.reload();
    await expect(rewards.getByRole("button", { name: /^Connect wallet to claim/ })).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 240_000, intervals: [5000] });
  await screenshot(page, "attribution-claim-claimable");

  // Another wallet is told whose reward it is before anything is signed.
  await connectTestWallet(page, TEST_WALLETS.linker, "Connect wallet");
  await rewards.getByRole("button", { name: /^Claim / }).click();
  await expect(rewards.getByText(new RegExp(`^This reward is for ${contributor.slice(0, 6)}.*, and the connected wallet is .*: switch to `))).toBeVisible();
  await screenshot(page, "attribution-claim-wrong-wallet");
  await disconnectWallet(page, TEST_WALLETS.linker);

  await connectTestWallet(page, TEST_WALLETS.claimer, "Connect wallet");
  const claim = rewards.getByRole("button", { name: /^Claim / });
  await expect(claim).toBeVisible();

  // Blocks are mined by hand while the claim is sent, so its pending state is seen.
  const before = await chain.getBalance({ address: contributor });
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
    sent = block.transactions.find((t) => t.from.toLowerCase() === contributor.toLowerCase())?.hash;
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
  const after = await chain.getBalance({ address: contributor });
  expect(after - before).toBe(amount - receipt.gasUsed * receipt.effectiveGasPrice);

  // Reloaded, the dashboard says it is claimed, with its transaction; the one-minute epoch is named by the minute it started.
  await page.reload();
  await expect(rewards.getByText("Claimed", { exact: true })).toBeVisible();
  await expect(rewards.getByText(MINUTE_LABEL)).toBeVisible();
  await expect(page.getByRole("img", { name: /^Earned and claimed per 6 hours/ })).toBeVisible();
  await screenshot(page, "attribution-claim-reloaded", { alsoMobile: true });

  // The model's attribution page: answers per 6 hours over the 90 days of minute epochs, the epoch committed and claimed.
  await page.goto(`/${orgSlug}/attribution/models/${modelSlug}`);
  const epochs = page.getByRole("table", { name: "Epochs of Capital tutor" });
  await expect(epochs.getByRole("cell", { name: MINUTE_LABEL })).toBeVisible();
  await expect(epochs).toContainText("1 claim");
  await expect(page.getByRole("heading", { name: "Answers per 6 hours" })).toBeVisible();
  await screenshot(page, "attribution-claim-model", { alsoMobile: true });
  await page.getByRole("table", { name: "Latest answers of Capital tutor" }).getByRole("link").first().click();
  await expect(page.getByText(new RegExp(`^${MINUTE_LABEL.source.slice(1, -1)} \\(epoch \\d+\\)$`))).toBeVisible();
  await screenshot(page, "attribution-claim-answer");
  await page.goto(`/${orgSlug}/datanets/${datanetSlug}/attribution`);
  await expect(page.getByRole("img", { name: /^Earned per 6 hours/ })).toBeVisible();
  await screenshot(page, "attribution-claim-datanet");
  expect(errors, "pages answered with server errors").toEqual([]);
});
