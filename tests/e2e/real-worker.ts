// The real Python worker (`python -m tributary_worker`) for the specs that need one: started from
// the shared worker venv with a token from the Workers page, its output kept for failure
// messages, stopped with SIGTERM by the test or killed after it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const workerDir = path.resolve("gpu-worker"); // Playwright runs from the repository root

export class RealWorker {
  /** Everything the worker printed so far. */
  log = "";
  private constructor(
    private readonly process: ChildProcess,
    private readonly workDir: string,
  ) {
    for (const stream of [process.stdout!, process.stderr!]) stream.on("data", (chunk: Buffer) => (this.log += chunk.toString()));
  }

  /** A CPU worker named `name` against `baseURL`; `args` adds flags such as `--serve`. */
  static start(baseURL: string, token: string, name: string, args: string[] = []): RealWorker {
    // The worker venv (built by the worker suite before e2e runs); its python's path is the last line.
    const python = execFileSync("node", [path.join(workerDir, "../scripts/worker-venv.mjs")], { encoding: "utf8" }).trim().split("\n").pop()!;
    const workDir = mkdtempSync(path.join(tmpdir(), "tributary-e2e-worker-"));
    const child = spawn(python, ["-m", "tributary_worker", "--url", baseURL, "--name", name, "--device", "cpu", "--work-dir", path.join(workDir, "work"), ...args], {
      cwd: workerDir,
      env: { ...process.env, PYTHONPATH: workerDir, PYTHONNOUSERSITE: "1", TRIBUTARY_WORKER_TOKEN: token, TRIBUTARY_CACHE_DIR: workDir, HF_HUB_OFFLINE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new RealWorker(child, workDir);
  }

  /** SIGTERM, then the exit code (0 for a clean stop). */
  async stop(): Promise<number | null> {
    this.process.kill("SIGTERM");
    const [code] = (await once(this.process, "exit")) as [number | null];
    return code;
  }

  /** For afterAll: kills a worker still running and removes its folder. */
  async dispose() {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill("SIGKILL");
      await once(this.process, "exit");
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
