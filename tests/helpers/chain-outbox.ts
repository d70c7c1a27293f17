// For the chain outbox tests: a real anvil with the contracts deployed (owner = dev account 0,
// committer = dev account 1), its ChainConfig, a fast sender, and a loop that runs sender passes
// until a condition holds.
import type { Hex, Transport } from "viem";
import type { ChainConfig } from "@/server/chain/config";
import { deployTributary } from "@/server/chain/deploy";
import { ChainSender, type SenderOptions } from "@/server/chain/sender";
import type { Db } from "@/server/db/connect";
import { CHAIN_ID, devAccount, startTestChain } from "./chain";

export const owner = devAccount(0);
export const committer = devAccount(1);

export type CommitterChain = ChainConfig & { committerKey: Hex };

export async function deployedTestChain(options: Parameters<typeof startTestChain>[0] = {}) {
  const chain = await startTestChain(options);
  const deployment = await deployTributary({ rpcUrl: chain.anvil.url, chainId: CHAIN_ID, deployer: owner.account, committer: committer.account.address });
  const config: CommitterChain = {
    rpcUrl: chain.anvil.url,
    chainId: CHAIN_ID,
    addresses: { registry: deployment.registry, rewards: deployment.rewards },
    committerKey: committer.key,
    confirmations: 1,
    source: "settings",
  };
  return { ...chain, config };
}

const senders = new Set<ChainSender>();

/** A sender with test-sized waits (20 ms polls, backoff from 50 ms up to 400 ms); stopSenders() ends it. */
export function testSender(db: Db, chain: CommitterChain, options: Partial<SenderOptions> = {}) {
  const sender = new ChainSender({ db, chain, pollMs: 20, backoffBaseMs: 50, maxBackoffMs: 400, ...options });
  senders.add(sender);
  return sender;
}

/** Stops every test sender, giving their leases up for the next test's. */
export async function stopSenders() {
  for (const sender of senders) await sender.stop();
  senders.clear();
}

/** Runs passes (and waits between them) until `done` answers true; fails after `timeoutMs`. */
export async function driveUntil(sender: ChainSender, done: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sender.pass();
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`the sender did not get there within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An HTTP transport whose requests for `method` fail as a process killed mid-way would leave them. */
export function losing(base: Transport, method: string): Transport {
  return (params) => {
    const transport = base(params);
    return {
      ...transport,
      async request(args, options) {
        if ((args as { method: string }).method === method) throw new Error(`test: the process died before ${method}`);
        return transport.request(args, options);
      },
    } as ReturnType<Transport>;
  };
}
