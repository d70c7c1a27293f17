// The embedded chain of `npm run dev` and the e2e server: anvil with its state in a file (so a
// restart keeps every commit), the contracts deployed once and recorded in DATA_DIR/chain.json,
// and deployed again only when the node has no code at the recorded addresses (its state was lost).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createPublicClient, http, type Address } from "viem";
import { readLocalChain, writeLocalChain, type LocalChain } from "../server/chain/config";
import { deployTributary } from "../server/chain/deploy";
import { LOCAL_CHAIN_ID } from "../server/chain/dev-accounts";
import { devAccount, startAnvil, type Anvil } from "./anvil";

/** Dev account 0 deploys and owns the contracts; dev account 1 is the platform's committer. */
const OWNER_ACCOUNT = 0;
const COMMITTER_ACCOUNT = 1;
/** Seconds between state dumps, so even a killed node loses at most this much. */
const STATE_INTERVAL_SECONDS = 5;

export interface LocalChainOptions {
  /** Where anvil's state and chain.json live (DATA_DIR). */
  dataDir: string;
  port: number;
  inheritOutput?: boolean;
}

async function hasCode(rpcUrl: string, addresses: Address[]): Promise<boolean> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  for (const address of addresses) {
    const code = await client.getCode({ address });
    if (!code || code === "0x") return false;
  }
  return true;
}

export async function startLocalChain(options: LocalChainOptions): Promise<{ anvil: Anvil; chain: LocalChain; deployed: boolean }> {
  const stateDir = path.join(options.dataDir, "chain");
  mkdirSync(stateDir, { recursive: true });
  const recordFile = path.join(options.dataDir, "chain.json");
  const anvil = await startAnvil({
    port: options.port,
    chainId: LOCAL_CHAIN_ID,
    args: ["--state", path.join(stateDir, "anvil-state.json"), "--state-interval", String(STATE_INTERVAL_SECONDS)],
    inheritOutput: options.inheritOutput,
  });
  try {
    const recorded = readLocalChain(recordFile);
    if (recorded && recorded.chainId === LOCAL_CHAIN_ID && (await hasCode(anvil.url, [recorded.registry, recorded.rewards]))) {
      const chain = { ...recorded, rpcUrl: anvil.url };
      if (recorded.rpcUrl !== anvil.url) writeLocalChain(chain, recordFile);
      return { anvil, chain, deployed: false };
    }
    const committer = devAccount(COMMITTER_ACCOUNT);
    const deployment = await deployTributary({ rpcUrl: anvil.url, chainId: LOCAL_CHAIN_ID, deployer: devAccount(OWNER_ACCOUNT).account, committer: committer.account.address });
    const chain: LocalChain = {
      rpcUrl: anvil.url,
      chainId: LOCAL_CHAIN_ID,
      registry: deployment.registry,
      rewards: deployment.rewards,
      committerKey: committer.key,
      deployedAtBlock: Number(deployment.deployedAtBlock),
    };
    writeLocalChain(chain, recordFile);
    return { anvil, chain, deployed: true };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}
