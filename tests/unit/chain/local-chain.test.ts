// The dev script's chain: deployed once and recorded; a restart keeps the state and the addresses;
// a node that lost its state gets the contracts again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPublicClient, createWalletClient, http, pad } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { tributaryRegistryAbi } from "@/server/chain/abi";
import { readLocalChain } from "@/server/chain/config";
import { chainDefinition } from "@/server/chain/definition";
import { devAccount, freePort, type Anvil } from "@/scripts/anvil";
import { startLocalChain } from "@/scripts/local-chain";

const dataDir = mkdtempSync(path.join(tmpdir(), "tributary-local-chain-"));
let running: Anvil | null = null;

afterAll(async () => {
  await running?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("startLocalChain", () => {
  it("deploys once, keeps commits and addresses across restarts, and deploys again when the state is gone", async () => {
    const port = await freePort();
    const first = await startLocalChain({ dataDir, port });
    running = first.anvil;
    expect(first.deployed).toBe(true);
    expect(readLocalChain(path.join(dataDir, "chain.json"))).toEqual(first.chain);
    expect(first.chain.committerKey).toBe(devAccount(1).key);

    const datanetId = pad("0x01", { size: 32 });
    const transport = http(first.anvil.url);
    const wallet = createWalletClient({ transport, account: devAccount(1).account, chain: chainDefinition(first.chain.chainId, first.anvil.url) });
    const hash = await wallet.writeContract({ address: first.chain.registry, abi: tributaryRegistryAbi, functionName: "registerDatanet", args: [datanetId, devAccount(2).account.address, datanetId] });
    await createPublicClient({ transport }).waitForTransactionReceipt({ hash });
    await first.anvil.stop();

    const second = await startLocalChain({ dataDir, port });
    running = second.anvil;
    expect(second.deployed).toBe(false);
    expect(second.chain).toEqual(first.chain);
    const client = createPublicClient({ transport: http(second.anvil.url) });
    expect((await client.readContract({ address: second.chain.registry, abi: tributaryRegistryAbi, functionName: "datanets", args: [datanetId] }))[0]).toBe(devAccount(2).account.address);
    await second.anvil.stop();

    rmSync(path.join(dataDir, "chain"), { recursive: true });
    const third = await startLocalChain({ dataDir, port });
    running = third.anvil;
    expect(third.deployed).toBe(true);
    expect(await createPublicClient({ transport: http(third.anvil.url) }).getCode({ address: third.chain.registry })).toMatch(/^0x[0-9a-f]{10,}/);
  });
});
