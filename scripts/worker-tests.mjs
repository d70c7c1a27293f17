// Runs the GPU worker's pytest suite in gpu-worker/.venv, (re)creating that venv only when
// its inputs changed. Usage: node scripts/worker-tests.mjs [pytest args...]
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const workerDir = join(root, "gpu-worker");
const venvDir = join(workerDir, ".venv");
const hashFile = join(venvDir, ".tributary-hash");
const venvPython =
  process.platform === "win32" ? join(venvDir, "Scripts", "python.exe") : join(venvDir, "bin", "python");
const basePython = process.env.PYTHON || "python3";

// Everything that decides what gets installed. __init__.py is here because the installed
// metadata's version is read from it at install time.
const HASH_INPUTS = ["pyproject.toml", "requirements-dev.txt", "tributary_worker/__init__.py"];
const PYTEST_NO_TESTS_COLLECTED = 5;

const log = (message) => console.log(`worker tests: ${message}`);

function fail(message) {
  console.error(`worker tests: ${message}`);
  process.exit(1);
}

function inputsHash() {
  const hash = createHash("sha256");
  for (const name of HASH_INPUTS) {
    const path = join(workerDir, name);
    if (!existsSync(path)) fail(`${path} is missing; it is needed to build the worker venv`);
    const content = readFileSync(path);
    hash.update(`${name}\0${content.length}\0`).update(content);
  }
  return hash.digest("hex");
}

function run(command, args, what) {
  const result = spawnSync(command, args, { cwd: workerDir, stdio: "inherit" });
  if (result.error) fail(`${what} failed: could not run '${command}' (${result.error.code ?? result.error.message})`);
  if (result.status !== 0) fail(`${what} failed (exit ${result.status ?? result.signal}); see the output above`);
}

function checkBasePython() {
  const probe = spawnSync(basePython, ["-c", "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"]);
  if (probe.error) {
    fail(`could not run '${basePython}' (${probe.error.code}): install Python 3.11+ or set PYTHON=/path/to/python3.11`);
  }
  if (probe.status !== 0) fail(`'${basePython}' is older than Python 3.11: set PYTHON=/path/to/python3.11 or newer`);
}

function ensureVenv() {
  const wanted = inputsHash();
  const current = existsSync(hashFile) ? readFileSync(hashFile, "utf8").trim() : null;
  if (current === wanted && existsSync(venvPython)) return;

  checkBasePython();
  log(
    existsSync(venvDir)
      ? "venv out of date (pyproject.toml, requirements-dev.txt or version changed), recreating…"
      : "creating venv (first run)…",
  );
  rmSync(venvDir, { recursive: true, force: true });
  run(basePython, ["-m", "venv", venvDir], `'${basePython} -m venv' (on Debian/Ubuntu: apt install python3-venv)`);

  const pip = [venvPython, "-m", "pip", "--disable-pip-version-check", "--quiet"];
  log("installing test dependencies (requirements-dev.txt)…");
  run(pip[0], [...pip.slice(1), "install", "-r", "requirements-dev.txt"], "pip install -r requirements-dev.txt");
  log("installing tributary-worker (editable)…");
  // No build isolation: builds with the setuptools pinned in requirements-dev.txt instead of
  // fetching a fresh one from PyPI on every rebuild.
  run(pip[0], [...pip.slice(1), "install", "--no-build-isolation", "-e", "."], "pip install -e gpu-worker");

  // Written last and atomically, so an interrupted setup is redone on the next run.
  writeFileSync(`${hashFile}.tmp`, `${wanted}\n`);
  renameSync(`${hashFile}.tmp`, hashFile);
  log("venv ready");
}

ensureVenv();
log(`running pytest${process.argv.length > 2 ? ` ${process.argv.slice(2).join(" ")}` : ""}`);
const pytest = spawn(venvPython, ["-m", "pytest", ...process.argv.slice(2)], { cwd: workerDir, stdio: "inherit" });
// Ctrl-C reaches pytest directly (same process group); stay alive to report its exit code.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => pytest.kill("SIGTERM"));
pytest.on("error", (err) => fail(`could not run pytest with ${venvPython} (${err.code ?? err.message})`));
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
