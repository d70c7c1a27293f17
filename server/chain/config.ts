// Which chain the platform commits to: the CHAIN_* settings in production, else the local dev
// chain that `npm run dev` started and recorded in DATA_DIR/chain.json, else none. Plain module
// (no "server-only"): the dev script writes the file this reads.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { env } from "@/server/env";

export interface ChainAddresses {
  registry: Address;
  rewards: Address;
}

export interface ChainConfig {
  rpcUrl: string;
  chainId: number;
  addresses: ChainAddresses;
  /** The committer's private key; null: commits are queued but not sent. */
  committerKey: Hex | null;
  confirmations: number;
  /** The block the indexer's first backfill starts at (the contracts' deployment block); 0 when unset. */
  startBlock?: bigint;
  /**
   * Whether the committer funds each epoch it commits (native currency, as an outbox call after the
   * commit): on the local dev chain, or with CHAIN_FUND_EPOCHS; in production the platform funds.
   */
  fundEpochs?: boolean;
  source: "settings" | "local dev chain";
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/) as unknown as z.ZodType<Address>;

/** DATA_DIR/chain.json, written by `npm run dev` after deploying to its local node. */
export const localChainSchema = z.object({
  rpcUrl: z.url(),
  chainId: z.number().int().positive(),
  registry: address,
  rewards: address,
  /** An anvil dev account's key (derived from anvil's public test mnemonic): never a real secret. */
  committerKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/) as unknown as z.ZodType<Hex>,
  deployedAtBlock: z.number().int().nonnegative(),
});
export type LocalChain = z.infer<typeof localChainSchema>;

export function localChainFile(): string {
  return path.join(env.DATA_DIR, "chain.json");
}

export function readLocalChain(file = localChainFile()): LocalChain | null {
  if (!existsSync(file)) return null;
  const parsed = localChainSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} is not a local chain record (${parsed.error.issues[0]?.message}); delete it and restart \`npm run dev\``);
  return parsed.data;
}

export function writeLocalChain(chain: LocalChain, file = localChainFile()): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(chain, null, 2)}\n`);
}

export function chainConfig(): ChainConfig | null {
  if (env.CHAIN_RPC_URL) {
    return {
      rpcUrl: env.CHAIN_RPC_URL,
      chainId: env.CHAIN_ID,
      // server/env.ts requires both addresses whenever CHAIN_RPC_URL is set.
      addresses: { registry: env.CHAIN_REGISTRY_ADDRESS as Address, rewards: env.CHAIN_REWARDS_ADDRESS as Address },
      committerKey: (env.CHAIN_COMMITTER_KEY as Hex | undefined) ?? null,
      confirmations: env.CHAIN_CONFIRMATIONS,
      startBlock: env.CHAIN_START_BLOCK ?? 0n,
      fundEpochs: env.CHAIN_FUND_EPOCHS,
      source: "settings",
    };
  }
  const local = readLocalChain();
  if (!local) return null;
  return {
    rpcUrl: local.rpcUrl,
    chainId: local.chainId,
    addresses: { registry: local.registry, rewards: local.rewards },
    committerKey: local.committerKey,
    confirmations: env.CHAIN_CONFIRMATIONS,
    startBlock: BigInt(local.deployedAtBlock),
    fundEpochs: true,
    source: "local dev chain",
  };
}

let appChain: ChainConfig | null | undefined;

/** chainConfig(), read once per process: the dev script records the local chain before the app starts. */
export function appChainConfig(): ChainConfig | null {
  if (appChain === undefined) appChain = chainConfig();
  return appChain;
}
