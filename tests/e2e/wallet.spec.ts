// Wallet flows in the browser: Sign-In with Ethereum, linking a wallet, and the errors a
// person sees. The wallet is an EIP-1193 provider injected into the page (what a browser
// extension provides) whose signatures come from a viem account in the test process:
// no extension can be installed here, and the server-side checks are all real.
import { expect, test, type Page } from "@playwright/test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { newAccount, orgSlugOf, signUp, watchServerErrors } from "./helpers";

interface Signed {
  message: string;
  signature: string;
}

/** Installs an injected wallet for `page`; returns what it signed. */
async function injectWallet(page: Page, privateKey = generatePrivateKey()) {
  const account = privateKeyToAccount(privateKey);
  const signed: Signed[] = [];
  await page.exposeFunction("__tributaryTestSign", async (hex: `0x${string}`) => {
    const signature = await account.signMessage({ message: { raw: hex } });
    signed.push({ message: Buffer.from(hex.slice(2), "hex").toString("utf8"), signature });
    return signature;
  });
  await page.addInitScript((address) => {
    // Like an extension on a site it has not authorised: no accounts until the user connects.
    let connected = false;
    const request = async ({ method, params }: { method: string; params?: unknown[] }) => {
      switch (method) {
        case "eth_requestAccounts":
          connected = true;
          return [address];
        case "eth_accounts":
          return connected ? [address] : [];
        case "eth_chainId":
          return "0x1";
        case "net_version":
          return "1";
        case "wallet_requestPermissions":
        case "wallet_getPermissions":
          return [{ parentCapability: "eth_accounts" }];
        case "personal_sign":
          return (window as unknown as { __tributaryTestSign(hex: string): Promise<string> }).__tributaryTestSign(String(params?.[0]));
        default:
          throw Object.assign(new Error(`test wallet does not support ${method}`), { code: 4200 });
      }
    };
    Object.defineProperty(window, "ethereum", { value: { request, on() {}, removeListener() {} }, configurable: true });
  }, account.address);
  return { account, signed };
}

async function connectAndSign(page: Page, buttonName: string) {
  await page.getByRole("button", { name: "Connect a wallet" }).click();
  await page.getByRole("button", { name: /Browser Wallet/ }).click();
  await page.getByRole("button", { name: buttonName }).click();
}

test("a wallet signs in, and a replayed signature is refused", async ({ page }) => {
  const { account, signed } = await injectWallet(page);
  await page.goto("/sign-in");
  await connectAndSign(page, "Sign in with Ethereum");
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`${account.address.slice(0, 6)}…`);
  expect(signed).toHaveLength(1);
  expect(signed[0]!.message).toContain("wants you to sign in with your Ethereum account");

  // Replay the captured message against next-auth's callback, as an attacker would.
  const replay = await page.context().request;
  const { csrfToken } = (await (await replay.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const response = await replay.post("/api/auth/callback/siwe", {
    form: { ...signed[0]!, csrfToken, json: "true" },
    maxRedirects: 0,
  });
  const body = JSON.stringify(await response.json().catch(() => ({ location: response.headers().location })));
  expect(decodeURIComponent(body)).toContain("already used");
});

test("an email user links a wallet; the same wallet cannot be linked twice", async ({ browser }) => {
  const key = generatePrivateKey();
  for (const [index, expected] of [[0, "Wallet linked"], [1, "already linked to another account"]] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { account } = await injectWallet(page, key);
    const serverErrors = watchServerErrors(page);
    await signUp(page, newAccount(`linker${index}`));
    await page.goto(`/${orgSlugOf(page)}/settings/account`);
    await connectAndSign(page, "Link this wallet");
    await expect(page.getByText(expected)).toBeVisible();
    if (index === 0) await expect(page.getByText(account.address)).toBeVisible();
    expect(serverErrors).toEqual([]);
    await context.close();
  }
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
