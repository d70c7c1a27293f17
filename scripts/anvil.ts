// Starts anvil (Foundry's local EVM node) from its npm platform package, for `npm run dev` and the
// chain tests: no install script, no download, no network. The binary is spawned directly (not
// through @foundry-rs/anvil's bin.mjs wrapper) so stopping it stops the node itself.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import type { Hex } from "viem";
import { ANVIL_MNEMONIC, devAccountOf } from "../server/chain/dev-accounts";

export { ANVIL_MNEMONIC };

/** Anvil's dev account `index` (same mnemonic as the node), with its private key: public test keys, never real secrets. */
export function devAccount(index: number) {
  const account = devAccountOf(index);
  const key = account.getHdKey().privateKey;
  if (!key) throw new Error(`no private key for dev account ${index}`);
  return { account, key: `0x${Buffer.from(key).toString("hex")}` as Hex };
}

const platformPackages: Record<string, string> = {
  "linux-x64": "anvil-linux-amd64",
  "linux-arm64": "anvil-linux-arm64",
  "darwin-x64": "anvil-darwin-amd64",
  "darwin-arm64": "anvil-darwin-arm64",
  "win32-x64": "anvil-win32-amd64",
};

/** Path of the anvil binary shipped in @foundry-rs/anvil's package for this platform. */
export function anvilBinary(): string {
  const platform = `${process.platform}-${process.arch}`;
  const name = platformPackages[platform];
  if (!name) throw new Error(`anvil: no @foundry-rs package for ${platform}; set CHAIN_RPC_URL to an EVM node instead`);
  const require = createRequire(import.meta.url);
  try {
    const manifest = require.resolve(`@foundry-rs/${name}/package.json`);
    return path.join(path.dirname(manifest), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  } catch {
    throw new Error(`anvil: @foundry-rs/${name} is not installed; run \`npm install\` (it is an optional dependency of @foundry-rs/anvil)`);
  }
}

export interface AnvilOptions {
  port: number;
  host?: string;
  chainId?: number;
  /** Extra arguments, e.g. ["--state", file] or ["--no-mining"]. */
  args?: string[];
  /** Print anvil's output (dev); tests keep it quiet. */
  inheritOutput?: boolean;
}

export interface Anvil {
  url: string;
  process: ChildProcess;
  /** Graceful stop (SIGTERM: anvil writes its --state file first); resolves when it has exited. */
  stop(): Promise<void>;
  /** A crash: SIGKILL, nothing written. */
  kill(): Promise<void>;
}

/** A port nothing listens on now (the node binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts anvil and resolves once it answers JSON-RPC (or rejects with its output). */
export async function startAnvil(options: AnvilOptions): Promise<Anvil> {
  const host = options.host ?? "127.0.0.1";
  const url = `http://${host}:${options.port}`;
  if (await answers(url)) throw new Error(`anvil: something already answers on ${url}; pick another port (CHAIN_PORT)`);
  const args = ["--host", host, "--port", String(options.port), "--chain-id", String(options.chainId ?? 31337), "--mnemonic", ANVIL_MNEMONIC, ...(options.args ?? [])];
  const child = spawn(anvilBinary(), args, { stdio: options.inheritOutput ? "inherit" : ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));

  const deadline = Date.now() + 20_000;
  while (!(await answers(url))) {
    if (exitedEarly) throw new Error(`anvil exited before answering on ${url}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not answer on ${url} within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { url, process: child, stop: () => signal("SIGTERM"), kill: () => signal("SIGKILL") };
}
