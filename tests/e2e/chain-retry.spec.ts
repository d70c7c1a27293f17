// A model version's registration that the contract refuses, as its owner meets it: the model's
// attribution page says why in words ("… is not a committer of this contract …"), and once the
// contracts' owner has granted the role again, Retry sends the same call and the page shows the
// model registered. The refusal is made by revoking the platform's committer (anvil dev account 1)
// on the local chain, after the Datanet version's commit went through; the role is given back
// whatever happens. The fine-tune is completed by a fake worker (tests/e2e/models-fake-worker.ts).
import { expect, test } from "@playwright/test";
import { encodeFunctionData, type Hex } from "viem";
import { tributaryRegistryAbi } from "../../server/chain/abi";
import { devAccountOf } from "../../server/chain/dev-accounts";
import { newAccount, orgSlugOf, screenshot, signUp, trpcCall, trpcQuery, watchServerErrors } from "./helpers";
import { FakeWorker } from "./models-fake-worker";
import { publishedVersion } from "./models-fixtures";
import { anvilRpc, localChain } from "./test-wallets";

const CONTRACTS_OWNER = devAccountOf(0).address;
const COMMITTER = devAccountOf(1).address;

/** The contracts' owner (unlocked on anvil) grants or revokes the platform committer's role on the registry. */
async function setCommitter(granted: boolean) {
  const data = encodeFunctionData({ abi: tributaryRegistryAbi, functionName: granted ? "grantCommitter" : "revokeCommitter", args: [COMMITTER] });
  const hash = (await anvilRpc("eth_sendTransaction", [{ from: CONTRACTS_OWNER, to: localChain().registry, data }])) as Hex;
  // Automine mines it at once, but the receipt can lag the hash by a moment.
  await expect
    .poll(async () => ((await anvilRpc("eth_getTransactionReceipt", [hash])) as { status: string } | null)?.status, {
      message: `${granted ? "grantCommitter" : "revokeCommitter"} was mined`,
      timeout: 10_000,
    })
    .toBe("0x1");
}

test("a refused model registration says why on the model's attribution page, and the owner's Retry registers it", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  const errors = watchServerErrors(page);
  await signUp(page, newAccount("retrier"));
  const orgSlug = orgSlugOf(page);
  const { versionId, datanetSlug } = await publishedVersion(page, orgSlug, `Retries ${Date.now().toString(36)}`, 12);
  // The Datanet version on chain first: only the model's registration meets the revoked role.
  await expect
    .poll(async () => (await trpcQuery<{ status: string }[]>(page, "chain.datanetCommits", { orgSlug, datanetSlug }))[0]?.status, { timeout: 60_000, intervals: [1000] })
    .toBe("confirmed");

  let modelSlug: string;
  try {
    await setCommitter(false); // inside the try: a revoke whose check failed is still undone for the other specs
    const { token } = await trpcCall<{ token: string }>(page, "workers.createToken", { orgSlug, name: "e2e retry worker" });
    const worker = new FakeWorker(baseURL!, token, "e2e-retry");
    await worker.register();
    ({ modelSlug } = await trpcCall<{ modelSlug: string }>(page, "finetune.launch", {
      orgSlug,
      baseModel: "tiny-llama",
      datanetVersionIds: [versionId],
      taskTemplate: "chat",
      modelName: "Retry tutor",
      hyperparameters: { epochs: 1, batchSize: 4, maxLength: 64, evalFraction: 0.25 },
    }));
    await worker.completeFinetune(await worker.lease(), 4);

    await page.goto(`/${orgSlug}/attribution/models/${modelSlug}`);
    await expect(page.getByText(`is not a committer of this contract: its owner must call grantCommitter(${COMMITTER})`, { exact: false })).toBeVisible({ timeout: 60_000 });
    await expect(page.getByText("Not committed the registration of Retry tutor v1", { exact: true })).toBeVisible();
    await screenshot(page, "chain-retry-refused", { alsoMobile: true });
  } finally {
    await setCommitter(true);
  }

  await page.getByRole("button", { name: "Retry the registration of Retry tutor v1" }).click();
  await expect(page.getByText("Registration queued again")).toBeVisible();
  // Sent, confirmed and read by the indexer: the page shows the registration with its block.
  await expect(async () => {
    await page.reload();
    await expect(page.getByText("Registered v1", { exact: true })).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 60_000, intervals: [2000] });
  await expect(page.getByRole("button", { name: /^Retry/ })).toHaveCount(0);
  await screenshot(page, "chain-retry-registered");
  expect(errors, "pages answered with server errors").toEqual([]);
});
