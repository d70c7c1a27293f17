// `npm run dev`: migrates the embedded (or configured) database, starts the local chain (anvil,
// contracts deployed once; LOCAL_CHAIN, unless CHAIN_RPC_URL is set), serves the app
// (scripts/serve.mjs --dev: Next in development mode, /v1 ahead of it), and starts a local worker
// (LOCAL_WORKER). Changes to the /v1 API's code need a restart: the handler is handed over once.
import { spawn, type ChildProcess } from "node:child_process";
import type { Anvil } from "./anvil";
import { describeError, migrateConfiguredDatabase } from "./migrate";

/** The port the app server will listen on, from -p/--port as scripts/serve.mjs reads them, else PORT, else 3000. */
function devPort(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === "-p" || arg === "--port") && args[i + 1]) return Number(args[i + 1]);
    if (arg.startsWith("--port=")) return Number(arg.slice("--port=".length));
  }
  return Number(process.env.PORT ?? 3000);
}

/** The local chain, or null (with the reason printed) when it cannot start: the app runs without commits. */
async function startChain(dataDir: string, port: number): Promise<Anvil | null> {
  const { startLocalChain } = await import("./local-chain");
  try {
    const { anvil, chain, deployed } = await startLocalChain({ dataDir, port });
    console.log(`local chain: ${anvil.url} (chain ${chain.chainId}), registry ${chain.registry}${deployed ? ", contracts deployed" : ""}`);
    return anvil;
  } catch (error) {
    console.error(`local chain: not started: ${describeError(error)}\n  The app runs without a chain answering (nothing is committed meanwhile); set CHAIN_RPC_URL, or LOCAL_CHAIN=false to skip it.`);
    return null;
  }
}

async function main() {
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const args = process.argv.slice(2);
  await migrateConfiguredDatabase();
  const { env } = await import("../server/env");
  const { ensureLocalWorkerToken, startLocalWorker } = await import("./local-worker");
  const token = env.LOCAL_WORKER ? await ensureLocalWorkerToken() : null;
  const chain = !env.CHAIN_RPC_URL && env.LOCAL_CHAIN ? await startChain(env.DATA_DIR, env.CHAIN_PORT) : null;

  const app = spawn(process.execPath, ["scripts/serve.mjs", "--dev", ...args], { stdio: "inherit" });
  let worker: ChildProcess | null = null;
  if (token) {
    startLocalWorker({ url: `http://127.0.0.1:${devPort(args)}`, token, name: "local worker" })
      .then((started) => {
        worker = started;
        started.on("exit", (code, signal) => console.log(`local worker: exited (${signal ?? `code ${code}`})`));
      })
      .catch((error: unknown) => console.error(`local worker: not started: ${describeError(error)}\n  The app runs without it; set LOCAL_WORKER=false to skip it.`));
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      worker?.kill("SIGTERM");
      app.kill(signal);
    });
  }
  app.on("exit", async (code) => {
    worker?.kill("SIGTERM");
    // A graceful stop: anvil writes its state file, so the next start has every commit.
    await chain?.stop();
    process.exit(code ?? 0);
  });
}

main().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
