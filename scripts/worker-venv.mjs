// The GPU worker's Python venv, shared by every clone on this machine: built once per hash of
// its inputs (the pinned requirements and the base Python) under the user's cache directory,
// because torch from PyPI pulls gigabytes of CUDA libraries.
//
// API (for scripts/worker-tests.mjs, scripts/dev.ts, scripts/e2e-server.ts):
//
//   import { ensureWorkerVenv, workerEnv, WORKER_DIR } from "./worker-venv.mjs";
//   const python = await ensureWorkerVenv();           // absolute path of the venv's python
//   spawn(python, ["-m", "tributary_worker", "--url", url, "--device", "cpu"], {
//     cwd: WORKER_DIR,
//     env: workerEnv({ ...process.env, TRIBUTARY_WORKER_TOKEN: token }),
//   });
//
// - ensureWorkerVenv({ log }) returns at once when the venv for the current inputs exists; else
//   it builds one (first time: minutes, ~6 GB with CUDA wheels on Linux) in a temporary folder
//   and renames it into place, so an interrupted build never leaves a half venv behind and two
//   clones building at once both end up using one. Only the newest KEEP_VENVS venvs are kept.
//   It rejects with an Error whose message says what to do (no Python 3.11, pip failed, ...).
// - The package is not installed into the venv (that would tie it to one clone): run it with
//   workerEnv(), which puts <this clone>/gpu-worker first on PYTHONPATH, as
//   `python -m tributary_worker` (the CLI) or `python -m pytest` (the tests). The venv's bin/
//   scripts (pip, pytest, activate) carry the temporary build path: always use `python -m`.
// - Where: ${TRIBUTARY_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/tributary}/worker-venv/<hash>.
//   Base interpreter: $PYTHON, else python3.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const WORKER_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "gpu-worker");

/** The files that decide what gets installed; requirements-dev.txt includes requirements.txt. */
const REQUIREMENT_FILES = ["requirements.txt", "requirements-dev.txt"];
const KEEP_VENVS = 3;
/** A temporary build folder older than this belongs to a build that died. */
const STALE_BUILD_MS = 6 * 60 * 60 * 1000;
const READY_MARK = ".tributary-ready";

export function cacheRoot(env = process.env) {
  if (env.TRIBUTARY_CACHE_DIR) return env.TRIBUTARY_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tributary");
}

const venvPython = (venvDir) =>
  process.platform === "win32" ? join(venvDir, "Scripts", "python.exe") : join(venvDir, "bin", "python");

/** The environment to run the worker (or its tests) with: this clone's package first on PYTHONPATH. */
export function workerEnv(env = process.env) {
  const pythonPath = env.PYTHONPATH ? `${WORKER_DIR}${delimiter}${env.PYTHONPATH}` : WORKER_DIR;
  return { ...env, PYTHONPATH: pythonPath, PYTHONNOUSERSITE: "1" };
}

function run(command, args, what, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
    child.on("error", (err) => reject(new Error(`${what} failed: could not run '${command}' (${err.code ?? err.message})`)));
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code ?? signal}); see the output above`)),
    );
  });
}

/** What the base interpreter is, as text that goes into the hash; throws if it is unusable. */
function describeBasePython(basePython) {
  const probe = spawnSync(basePython, [
    "-c",
    "import sys, platform; print(sys.version_info >= (3, 11)); print(sys.implementation.cache_tag, platform.machine(), sys.platform, sys.base_prefix)",
  ], { encoding: "utf8" });
  if (probe.error) {
    throw new Error(`could not run '${basePython}' (${probe.error.code}): install Python 3.11+ or set PYTHON=/path/to/python3.11`);
  }
  const [ok, identity] = probe.stdout.trim().split("\n");
  if (probe.status !== 0 || ok !== "True") {
    throw new Error(`'${basePython}' is older than Python 3.11 (or broken): set PYTHON=/path/to/python3.11 or newer`);
  }
  return identity;
}

function inputsHash(baseIdentity) {
  const hash = createHash("sha256").update(`${baseIdentity}\0`);
  for (const name of REQUIREMENT_FILES) {
    const path = join(WORKER_DIR, name);
    if (!existsSync(path)) throw new Error(`${path} is missing; it is needed to build the worker venv`);
    const content = readFileSync(path);
    hash.update(`${name}\0${content.length}\0`).update(content);
  }
  return hash.digest("hex").slice(0, 16);
}

/** Deletes all but the newest KEEP_VENVS finished venvs (by last use) and dead builds. */
function prune(root, current) {
  const entries = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory());
  const now = Date.now();
  const ready = [];
  for (const entry of entries) {
    const dir = join(root, entry.name);
    if (entry.name.includes(".build-")) {
      if (now - statSync(dir).mtimeMs > STALE_BUILD_MS) rmSync(dir, { recursive: true, force: true });
    } else if (entry.name !== current) {
      const mark = join(dir, READY_MARK);
      ready.push({ dir, used: existsSync(mark) ? statSync(mark).mtimeMs : 0 });
    }
  }
  ready.sort((a, b) => b.used - a.used);
  for (const { dir } of ready.slice(KEEP_VENVS - 1)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Makes sure the worker venv for the current pins exists and returns its python's absolute path.
 * `log` receives progress lines (default: console.log with a "worker venv:" prefix).
 */
export async function ensureWorkerVenv({ log = (m) => console.log(`worker venv: ${m}`) } = {}) {
  const basePython = process.env.PYTHON || "python3";
  const hash = inputsHash(describeBasePython(basePython));
  const root = join(cacheRoot(), "worker-venv");
  const venvDir = join(root, hash);
  const mark = join(venvDir, READY_MARK);
  if (existsSync(mark) && existsSync(venvPython(venvDir))) {
    const now = new Date();
    utimesSync(mark, now, now); // last use, for pruning
    return venvPython(venvDir);
  }

  // A venv whose base interpreter went away (or that lost its python) is rebuilt.
  if (existsSync(venvDir)) rmSync(venvDir, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const buildDir = join(root, `${hash}.build-${process.pid}-${Date.now()}`);
  log(`building ${venvDir} (first run for these pins: downloads torch and its CUDA libraries, several minutes)…`);
  const started = Date.now();
  try {
    await run(basePython, ["-m", "venv", buildDir], `'${basePython} -m venv' (on Debian/Ubuntu: apt install python3-venv)`);
    const python = venvPython(buildDir);
    await run(
      python,
      ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r", join(WORKER_DIR, "requirements-dev.txt")],
      "pip install -r gpu-worker/requirements-dev.txt (needs PyPI, or a wheel folder via PIP_FIND_LINKS)",
      { env: { ...process.env, PIP_REQUIRE_VIRTUALENV: "1" } },
    );
    writeFileSync(join(buildDir, READY_MARK), `${hash}\n`);
    try {
      renameSync(buildDir, venvDir);
    } catch (err) {
      // Another clone finished the same venv first: use that one.
      if (!existsSync(join(venvDir, READY_MARK))) throw err;
      rmSync(buildDir, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(buildDir, { recursive: true, force: true });
    throw err;
  }
  log(`venv ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  prune(root, hash);
  return venvPython(venvDir);
}

// `node scripts/worker-venv.mjs` builds (or finds) the venv and prints its python's path.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureWorkerVenv().then(
    (python) => console.log(python),
    (err) => {
      console.error(`worker venv: ${err.message}`);
      process.exit(1);
    },
  );
}
