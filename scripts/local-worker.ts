// The embedded default's GPU worker: a platform worker token kept in DATA_DIR, and the Python
// worker started against the local server once it answers. Used by `npm run dev` and e2e.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureWorkerVenv, WORKER_DIR, workerEnv } from "./worker-venv.mjs";

/** The token of the local worker; made (and stored hashed in the database) on first use. */
export async function ensureLocalWorkerToken(): Promise<string> {
  const { env } = await import("../server/env");
  const { openDatabase } = await import("../server/db/connect");
  const { authenticateWorkerToken, createWorkerToken } = await import("../server/jobs/workers");
  const file = path.join(env.DATA_DIR, "local-worker-token");
  const database = openDatabase({ url: env.DATABASE_URL, dataDir: path.join(env.DATA_DIR, "pglite") });
  try {
    const saved = existsSync(file) ? readFileSync(file, "utf8").trim() : null;
    if (saved && (await authenticateWorkerToken(database.db, saved))) return saved;
    const { token } = await createWorkerToken(database.db, { orgId: null, name: "local worker (npm run dev)", createdBy: null });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return token;
  } finally {
    await database.close();
  }
}

async function waitForServer(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/api/health`)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`the server at ${url} did not answer within ${timeoutMs / 1000} s`);
}

/** Builds the worker venv if needed (minutes, the first time), then runs the worker. */
export async function startLocalWorker(options: { url: string; token: string; name: string; extraArgs?: string[] }): Promise<ChildProcess> {
  const python = await ensureWorkerVenv({ log: (m) => console.log(`local worker: ${m}`) });
  await waitForServer(options.url, 10 * 60_000);
  const worker = spawn(python, ["-m", "tributary_worker", "--url", options.url, "--name", options.name, ...(options.extraArgs ?? [])], {
    cwd: WORKER_DIR,
    env: workerEnv({ ...process.env, TRIBUTARY_WORKER_TOKEN: options.token }),
    stdio: "inherit",
  });
  console.log(`local worker: started (pid ${worker.pid}) against ${options.url}`);
  return worker;
}
