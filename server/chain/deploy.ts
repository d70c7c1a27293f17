// Deploys the Tributary contracts (registry, then rewards pointing at it) from one account:
// used by `npm run dev` on its local node, `npm run contracts:deploy` and the chain tests.
import { createPublicClient, createWalletClient, getAddress, http, type Account, type Address, type Hex } from "viem";
import { testTokenAbi, tributaryRegistryAbi, tributaryRewardsAbi } from "./abi";
import { testTokenBytecode, tributaryRegistryBytecode, tributaryRewardsBytecode } from "./bytecode";
import { chainDefinition } from "./config";

export interface DeployOptions {
  rpcUrl: string;
  chainId: number;
  deployer: Account;
  /** Grants and revokes committers; defaults to the deployer. */
  owner?: Address;
  /** The platform's signer; defaults to the deployer. */
  committer?: Address;
}

export interface Deployment {
  registry: Address;
  rewards: Address;
  /** Block of the registry's deployment: where an indexer starts. */
  deployedAtBlock: bigint;
}

function clients(options: { rpcUrl: string; chainId: number; deployer: Account }) {
  const chain = chainDefinition(options.chainId, options.rpcUrl);
  const transport = http(options.rpcUrl);
  return {
    publicClient: createPublicClient({ chain, transport }),
    walletClient: createWalletClient({ chain, transport, account: options.deployer }),
  };
}

async function mined(publicClient: ReturnType<typeof clients>["publicClient"], hash: Hex, what: string) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${what} failed in transaction ${hash}`);
  return { blockNumber: receipt.blockNumber, contractAddress: getAddress(receipt.contractAddress) };
}

export async function deployTributary(options: DeployOptions): Promise<Deployment> {
  const { publicClient, walletClient } = clients(options);
  const owner = options.owner ?? options.deployer.address;
  const committer = options.committer ?? options.deployer.address;
  const registryTx = await walletClient.deployContract({ abi: tributaryRegistryAbi, bytecode: tributaryRegistryBytecode, args: [owner, committer] });
  const registry = await mined(publicClient, registryTx, "TributaryRegistry");
  const rewardsTx = await walletClient.deployContract({
    abi: tributaryRewardsAbi,
    bytecode: tributaryRewardsBytecode,
    args: [owner, committer, registry.contractAddress],
  });
  const rewards = await mined(publicClient, rewardsTx, "TributaryRewards");
  return { registry: registry.contractAddress, rewards: rewards.contractAddress, deployedAtBlock: registry.blockNumber };
}

/** A mintable ERC-20 (contracts/test/TestToken.sol) for tests and the dev chain. */
export async function deployTestToken(options: Omit<DeployOptions, "owner" | "committer">, name = "Test Token", symbol = "TEST"): Promise<Address> {
  const { publicClient, walletClient } = clients(options);
  const hash = await walletClient.deployContract({ abi: testTokenAbi, bytecode: testTokenBytecode, args: [name, symbol] });
  return (await mined(publicClient, hash, "TestToken")).contractAddress;
}
