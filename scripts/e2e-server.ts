// The app server Playwright starts (see playwright.config.ts): a fresh database in
// .data/e2e, migrated, a local chain (anvil on a free port, contracts deployed), then a
// production build served on 127.0.0.1:3100 by the app server (scripts/serve.mjs, as `npm start`).
import { spawn, type SpawnOptions } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.join(root, ".data", "e2e");

function run(args: string[], options: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", args, options);
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`npx ${args.join(" ")} failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

async function main() {
  rmSync(dataDir, { recursive: true, force: true });
  Object.assign(process.env, {
    NEXT_TELEMETRY_DISABLED: "1",
    DATA_DIR: dataDir,
    APP_URL: "http://127.0.0.1:3100",
    // Minute-long epochs: an answer's epoch ends, is rolled up, committed and funded within a test.
    ATTRIBUTION_EPOCH_SECONDS: "60",
    // The test wallets the specs connect (tests/e2e/test-wallets.ts): anvil dev accounts 7 to 9.
    TEST_WALLET_ACCOUNTS: "7,8,9",
  });
  // server/env.ts parses process.env when first imported, so this import comes after the settings.
  const { describeError, migrateConfiguredDatabase } = await import("./migrate");
  try {
    await migrateConfiguredDatabase();
  } catch (error) {
    throw new Error(`e2e database migration failed:\n  ${describeError(error)}`);
  }

  const options: SpawnOptions = { cwd: root, stdio: "inherit", env: process.env };
  if (process.env.E2E_SKIP_BUILD === "1" && existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("e2e: E2E_SKIP_BUILD=1, serving the existing .next build");
  } else {
    await run(["next", "build"], options);
  }
  // After the build, so a failed build leaves no node running; the app reads DATA_DIR/chain.json when it starts.
  const { freePort } = await import("./anvil");
  const { startLocalChain } = await import("./local-chain");
  const { anvil } = await startLocalChain({ dataDir, port: await freePort() });

  const server = spawn(process.execPath, ["scripts/serve.mjs", "-H", "127.0.0.1", "-p", "3100"], options);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => server.kill(signal));
  server.on("exit", async (code) => {
    await anvil.stop();
    process.exit(code ?? 0);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
