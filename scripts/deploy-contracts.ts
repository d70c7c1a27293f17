// `npm run contracts:deploy -- --rpc-url <url> [--owner <address>] [--committer <address>]`:
// deploys TributaryRegistry and TributaryRewards to any EVM chain from the account whose key is in
// DEPLOYER_KEY, and prints the CHAIN_* settings to give the app. Reads no app settings, so it runs
// before they exist.
import { parseArgs } from "node:util";
import { createPublicClient, getAddress, http, isAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployTributary } from "../server/chain/deploy";

function fail(message: string): never {
  console.error(`contracts:deploy: ${message}`);
  process.exit(1);
}

function address(value: string | undefined, flag: string) {
  if (value === undefined) return undefined;
  if (!isAddress(value)) fail(`${flag} ${value} is not a 0x-prefixed 20-byte address`);
  return getAddress(value);
}

async function main() {
  const { values } = parseArgs({ options: { "rpc-url": { type: "string" }, owner: { type: "string" }, committer: { type: "string" } } });
  const rpcUrl = values["rpc-url"] ?? fail("--rpc-url <url> is required (the chain's JSON-RPC endpoint)");
  const key = process.env.DEPLOYER_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) fail("set DEPLOYER_KEY to the 0x-prefixed private key of a funded account on that chain");
  const deployer = privateKeyToAccount(key as Hex);
  const chainId = await createPublicClient({ transport: http(rpcUrl) }).getChainId();
  const owner = address(values.owner, "--owner") ?? deployer.address;
  const committer = address(values.committer, "--committer") ?? deployer.address;
  console.error(`deploying to chain ${chainId} from ${deployer.address}: owner ${owner}, committer ${committer}`);
  const deployment = await deployTributary({ rpcUrl, chainId, deployer, owner, committer });
  console.log(
    [
      `CHAIN_RPC_URL=${rpcUrl}`,
      `CHAIN_ID=${chainId}`,
      `CHAIN_REGISTRY_ADDRESS=${deployment.registry}`,
      `CHAIN_REWARDS_ADDRESS=${deployment.rewards}`,
      `CHAIN_START_BLOCK=${deployment.deployedAtBlock}`,
      `# set CHAIN_COMMITTER_KEY to ${committer}'s private key`,
    ].join("\n"),
  );
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
