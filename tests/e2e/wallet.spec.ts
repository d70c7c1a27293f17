// Wallet flows in the browser: Sign-In with Ethereum, linking a wallet, and the errors a person
// sees. The wallets are the app's test wallets (tests/e2e/test-wallets.ts): wagmi's mock
// connector on anvil dev accounts, whose messages the local chain signs (personal_sign). The
// server-side checks are all real.
import { expect, test } from "@playwright/test";
import { verifyMessage, type Hex } from "viem";
import { newAccount, orgSlugOf, signUp, watchServerErrors } from "./helpers";
import { connectTestWallet, linkTestWallet, TEST_WALLETS, testWalletAddress } from "./test-wallets";

test("a wallet signs in, and a replayed signature is refused", async ({ page }) => {
  const address = testWalletAddress(TEST_WALLETS.signIn);
  await page.goto("/sign-in");
  await connectTestWallet(page, TEST_WALLETS.signIn, "Connect a wallet");
  // What the page sends to next-auth's callback: the SIWE message and the wallet's signature.
  const callback = page.waitForRequest((r) => r.method() === "POST" && r.url().includes("/api/auth/callback/siwe"));
  await page.getByRole("button", { name: "Sign in with Ethereum" }).click();
  const form = new URLSearchParams((await callback).postData() ?? "");
  const signed = { message: form.get("message") ?? "", signature: (form.get("signature") ?? "") as Hex };
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`${address.slice(0, 6)}…`);
  expect(signed.message).toContain("wants you to sign in with your Ethereum account");
  expect(signed.message).toContain("Chain ID: 31337");
  expect(await verifyMessage({ address, message: signed.message, signature: signed.signature })).toBe(true);

  // Replay the captured message against next-auth's callback, as an attacker would.
  const replay = page.context().request;
  const { csrfToken } = (await (await replay.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const response = await replay.post("/api/auth/callback/siwe", {
    form: { ...signed, csrfToken, json: "true" },
    maxRedirects: 0,
  });
  const body = JSON.stringify(await response.json().catch(() => ({ location: response.headers().location })));
  expect(decodeURIComponent(body)).toContain("already used");
});

test("an email user links a wallet; the same wallet cannot be linked twice", async ({ browser }) => {
  const address = testWalletAddress(TEST_WALLETS.linker);
  const first = await browser.newContext();
  const owner = await first.newPage();
  const ownerErrors = watchServerErrors(owner);
  await signUp(owner, newAccount("linker0"));
  await linkTestWallet(owner, orgSlugOf(owner), TEST_WALLETS.linker);
  await expect(owner.getByText(address, { exact: true })).toBeVisible();
  try {
    const second = await browser.newContext();
    const other = await second.newPage();
    const otherErrors = watchServerErrors(other);
    await signUp(other, newAccount("linker1"));
    await linkTestWallet(other, orgSlugOf(other), TEST_WALLETS.linker, "already linked to another account");
    expect(otherErrors).toEqual([]);
    await second.close();
  } finally {
    // Unlinked again, so a rerun against the same server links it afresh.
    await owner.getByRole("button", { name: "Unlink wallet" }).click();
    await expect(owner.getByRole("button", { name: "Connect a wallet" })).toBeVisible();
  }
  expect(ownerErrors).toEqual([]);
  await first.close();
});

test("the health endpoint reports each dependency", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  const report = (await response.json()) as { checks: Record<string, { status: string }> };
  expect(Object.keys(report.checks).sort()).toEqual(["blobs", "chain", "database", "workers"]);
  expect(report.checks.database!.status).toBe("ok");
  expect(report.checks.blobs!.status).toBe("ok");
  for (const check of Object.values(report.checks)) expect(["ok", "degraded", "not configured"]).toContain(check.status);
});
