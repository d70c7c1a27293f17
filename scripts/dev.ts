// `npm run dev`: migrates the embedded (or configured) database, serves the app, and starts a
// local worker (LOCAL_WORKER). Later parts (local chain) start from here too.
import { spawn, type ChildProcess } from "node:child_process";
import { describeError, migrateConfiguredDatabase } from "./migrate";

/** The port `next dev` will listen on, from -p/--port as Next reads them, else PORT, else 3000. */
function devPort(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === "-p" || arg === "--port") && args[i + 1]) return Number(args[i + 1]);
    if (arg.startsWith("--port=")) return Number(arg.slice("--port=".length));
  }
  return Number(process.env.PORT ?? 3000);
}

async function main() {
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const args = process.argv.slice(2);
  await migrateConfiguredDatabase();
  const { env } = await import("../server/env");
  const { ensureLocalWorkerToken, startLocalWorker } = await import("./local-worker");
  const token = env.LOCAL_WORKER ? await ensureLocalWorkerToken() : null;

  const next = spawn("npx", ["next", "dev", ...args], { stdio: "inherit" });
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
      next.kill(signal);
    });
  }
  next.on("exit", (code) => {
    worker?.kill("SIGTERM");
    process.exit(code ?? 0);
  });
}

main().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
