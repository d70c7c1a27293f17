// Runs the GPU worker's pytest suite with the shared worker venv (scripts/worker-venv.mjs builds
// it once per hash of the pins). Usage: node scripts/worker-tests.mjs [pytest args...]
import { spawn } from "node:child_process";
import { ensureWorkerVenv, WORKER_DIR, workerEnv } from "./worker-venv.mjs";

const PYTEST_NO_TESTS_COLLECTED = 5;

function fail(message) {
  console.error(`worker tests: ${message}`);
  process.exit(1);
}

let python;
try {
  python = await ensureWorkerVenv();
} catch (err) {
  fail(err.message);
}
const args = process.argv.slice(2);
console.log(`worker tests: running pytest${args.length ? ` ${args.join(" ")}` : ""}`);
const pytest = spawn(python, ["-m", "pytest", ...args], { cwd: WORKER_DIR, stdio: "inherit", env: workerEnv() });
// Ctrl-C reaches pytest directly (same process group); stay alive to report its exit code.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => pytest.kill("SIGTERM"));
pytest.on("error", (err) => fail(`could not run pytest with ${python} (${err.code ?? err.message})`));
pytest.on("exit", (code, signal) => {
  if (code === PYTEST_NO_TESTS_COLLECTED) {
    fail(
      "FAILED: pytest collected no tests (exit 5). A run without tests never passes: check the " +
        "paths, -k and -m filters you passed (gpu and slow tests are deselected unless you pass -m).",
    );
  }
  if (code === null) fail(`pytest was killed by ${signal}`);
  process.exit(code);
});
