// The chain outbox's sender: one loop per signer (a lease in chain_sender_leases) that estimates
// gas, allocates nonces, stores each signed transaction before broadcasting it, re-broadcasts
// what a restarted node or process lost, and confirms receipts at the configured depth. Node
// errors back off exponentially on the rows; a revert is permanent, with its reason in words.
import "server-only";
import { randomUUID } from "node:crypto";
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  TransactionReceiptNotFoundError,
  type Hex,
  type PrivateKeyAccount,
  type TransactionReceipt,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Db } from "@/server/db/connect";
import {
  acquireSenderLease,
  backOff,
  dueRows,
  failRowsBehindFailures,
  highestSentNonce,
  markConfirmed,
  markFailed,
  markForResigning,
  markSigned,
  markWaiting,
  releaseSenderLease,
  sentRows,
  type OutboxRow,
} from "@/server/db/queries/chain";
import type { ChainConfig } from "./config";
import { chainDefinition } from "./definition";
import { classifyChainError } from "./errors";
import { waitedOnWords } from "./outbox-words";

export interface SenderOptions {
  db: Db;
  chain: ChainConfig & { committerKey: Hex };
  /** Defaults to HTTP to chain.rpcUrl; tests wrap it to lose requests. */
  transport?: Transport;
  /** Pause between passes, and before looking for a broadcast transaction's receipt again. */
  pollMs?: number;
  /** First wait after a failed step, doubling per attempt up to maxBackoffMs. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  leaseSeconds?: number;
  /** Rows looked at per pass. */
  batchSize?: number;
  log?: (message: string) => void;
}

export interface PassResult {
  /** false: another process holds this signer's lease. */
  leased: boolean;
  /** Rows looked at. */
  due: number;
  /** The node did not answer; the rows due backed off. */
  unreachable: string | null;
}

/** Gas limit = estimate + 20%: estimates are exact for the state they ran on, not the block the transaction lands in. */
const gasWithMargin = (estimate: bigint) => (estimate * 12n) / 10n;

export class ChainSender {
  readonly address: PrivateKeyAccount["address"];
  private readonly account: PrivateKeyAccount;
  private readonly holder = randomUUID();
  private readonly publicClient;
  private readonly walletClient;
  private readonly policy;
  private readonly codeChecked = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> | null = null;
  private stopped = false;

  constructor(private readonly options: SenderOptions) {
    this.account = privateKeyToAccount(options.chain.committerKey);
    this.address = this.account.address;
    const chain = chainDefinition(options.chain.chainId, options.chain.rpcUrl);
    const transport = options.transport ?? http(options.chain.rpcUrl, { retryCount: 0, timeout: 5_000 });
    this.publicClient = createPublicClient({ chain, transport });
    this.walletClient = createWalletClient({ chain, transport, account: this.account });
    this.policy = {
      pollMs: options.pollMs ?? 2_000,
      backoff: { baseMs: options.backoffBaseMs ?? 2_000, maxMs: options.maxBackoffMs ?? 5 * 60_000 },
      leaseSeconds: options.leaseSeconds ?? 30,
      batchSize: options.batchSize ?? 25,
    };
  }

  private get db() {
    return this.options.db;
  }

  private get chainId() {
    return this.options.chain.chainId;
  }

  /** Runs passes every pollMs until stop(). */
  start() {
    const loop = async () => {
      if (this.stopped) return;
      this.current = this.pass().catch((error: unknown) => this.options.log?.(`chain sender: ${error instanceof Error ? error.stack : String(error)}`));
      await this.current;
      if (!this.stopped) this.timer = setTimeout(loop, this.policy.pollMs).unref();
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  /** Stops the loop after its current pass and gives the lease up for another process. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
    await releaseSenderLease(this.db, { chainId: this.chainId, address: this.address, holder: this.holder });
  }

  /** One pass over what is due: sent rows first (receipts, re-broadcasts), then new calls. */
  async pass(): Promise<PassResult> {
    const leased = await acquireSenderLease(this.db, { chainId: this.chainId, address: this.address, holder: this.holder, seconds: this.policy.leaseSeconds });
    if (!leased) return { leased, due: 0, unreachable: null };
    await failRowsBehindFailures(this.db, this.chainId, waitedOnWords);
    const due = await dueRows(this.db, this.chainId, this.address, this.policy.batchSize);
    if (due.length === 0) return { leased, due: 0, unreachable: null };
    try {
      await this.checkSent(new Set(due.filter((r) => r.status === "sent").map((r) => r.id)));
      for (const row of due.filter((r) => r.status === "pending")) await this.send(row);
      return { leased, due: due.length, unreachable: null };
    } catch (error) {
      const classified = classifyChainError(error);
      if (classified.kind !== "unreachable") throw error;
      await backOff(this.db, due.map((r) => r.id), `chain unreachable: ${classified.message}`, this.policy.backoff);
      this.options.log?.(`chain sender: ${classified.message}; ${due.length} due commits wait`);
      return { leased, due: due.length, unreachable: classified.message };
    }
  }

  /**
   * The signer's signed transactions. A nonce below the account's mined count was used: by this
   * transaction (its receipt says how it went) or by another (sign the call again). Unmined nonces
   * must run on from the mined count; past a gap (the node lost transactions) none can be mined,
   * so those calls are signed again. The rest are re-broadcast when due (a node that restarted
   * has an empty pool; re-sending a known transaction changes nothing).
   */
  private async checkSent(dueIds: Set<string>) {
    if (dueIds.size === 0) return;
    const rows = await sentRows(this.db, this.chainId, this.address);
    const mined = await this.publicClient.getTransactionCount({ address: this.address, blockTag: "latest" });
    let expected = mined;
    let gap = false;
    for (const row of rows) {
      const nonce = row.nonce!;
      if (nonce < mined) {
        if (dueIds.has(row.id)) await this.settle(row);
        continue;
      }
      if (nonce !== expected) gap = true;
      expected = nonce + 1;
      if (gap) {
        await markForResigning(this.db, row.id, `transaction ${row.txHash} (nonce ${nonce}) can never be mined: the node has no transaction at nonce ${mined}; signing the call again`);
      } else if (dueIds.has(row.id)) {
        await this.broadcast(row);
      }
    }
  }

  private async receipt(hash: Hex): Promise<TransactionReceipt | null> {
    try {
      return await this.publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) return null;
      throw error;
    }
  }

  /** A sent row whose nonce is used: confirmed, reverted, still shallow, or replaced. */
  private async settle(row: OutboxRow) {
    const receipt = await this.receipt(row.txHash as Hex);
    if (!receipt) {
      await markForResigning(this.db, row.id, `transaction ${row.txHash} was dropped: nonce ${row.nonce} went to another transaction; signing the call again`);
      return;
    }
    const blockNumber = Number(receipt.blockNumber);
    if (receipt.status === "reverted") {
      await markFailed(this.db, row.id, `${await this.replayRevert(row, receipt)} (transaction ${row.txHash}, block ${blockNumber})`, blockNumber);
      return;
    }
    const head = await this.publicClient.getBlockNumber({ cacheTime: 0 });
    const depth = Number(head - receipt.blockNumber) + 1;
    if (depth >= this.options.chain.confirmations) await markConfirmed(this.db, row.id, blockNumber);
    else await markWaiting(this.db, row.id, this.policy.pollMs, blockNumber);
  }

  /** Why a mined transaction reverted: the same call replayed on its block's state. */
  private async replayRevert(row: OutboxRow, receipt: TransactionReceipt): Promise<string> {
    if (receipt.gasUsed === (await this.publicClient.getTransaction({ hash: receipt.transactionHash })).gas) return "the transaction ran out of gas";
    try {
      await this.publicClient.call({ account: this.address, to: row.to as Hex, data: row.data as Hex, value: BigInt(row.value), blockNumber: receipt.blockNumber });
      return "the transaction reverted on chain (replaying it no longer reverts, so the reason is unknown)";
    } catch (error) {
      const classified = classifyChainError(error);
      if (classified.kind === "unreachable") throw error;
      return classified.kind === "revert" ? classified.message : `the transaction reverted on chain (${classified.message})`;
    }
  }

  private async broadcast(row: OutboxRow) {
    try {
      await this.publicClient.sendRawTransaction({ serializedTransaction: row.rawTx as Hex });
    } catch (error) {
      const classified = classifyChainError(error);
      if (classified.kind === "unreachable") throw error;
      if (classified.kind === "nonce used") {
        // Mined meanwhile, or replaced: the next pass sees the nonce used and reads the receipt.
        await markWaiting(this.db, row.id, 0);
        return;
      }
      if (classified.kind !== "already known") {
        await backOff(this.db, [row.id], `broadcasting ${row.txHash} failed: ${classified.message}`, this.policy.backoff);
        return;
      }
    }
    await markWaiting(this.db, row.id, this.policy.pollMs);
  }

  /** A new call: check the contract, estimate, take the next nonce, sign, store, broadcast. */
  private async send(row: OutboxRow) {
    const to = row.to as Hex;
    const value = BigInt(row.value);
    if (!this.codeChecked.has(to)) {
      const code = await this.publicClient.getCode({ address: to });
      if (!code || code === "0x") {
        await markFailed(this.db, row.id, `there is no contract at ${to} on chain ${this.chainId}: deploy the contracts there, or correct the CHAIN_*_ADDRESS settings`);
        return;
      }
      this.codeChecked.add(to);
    }
    let gas: bigint;
    try {
      gas = await this.publicClient.estimateGas({ account: this.address, to, data: row.data as Hex, value });
    } catch (error) {
      const classified = classifyChainError(error);
      if (classified.kind === "unreachable") throw error;
      if (classified.kind === "revert") await markFailed(this.db, row.id, `${classified.message} (found while estimating gas; nothing was sent)`);
      else await backOff(this.db, [row.id], `estimating gas failed: ${classified.message}`, this.policy.backoff);
      return;
    }
    const pendingNonce = await this.publicClient.getTransactionCount({ address: this.address, blockTag: "pending" });
    const highest = await highestSentNonce(this.db, this.chainId, this.address);
    const nonce = Math.max(pendingNonce, highest === null ? 0 : highest + 1);
    const request = await this.walletClient.prepareTransactionRequest({ to, data: row.data as Hex, value, nonce, gas: gasWithMargin(gas) });
    const rawTx = await this.walletClient.signTransaction(request);
    const signed = { fromAddress: this.address, nonce, txHash: keccak256(rawTx), rawTx };
    // Stored first: a crash after this line re-broadcasts these very bytes instead of signing anew.
    if (!(await markSigned(this.db, row.id, signed))) return;
    await this.broadcast({ ...row, ...signed, status: "sent" });
  }
}
