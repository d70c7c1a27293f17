// The indexer's polling loop in the services process: a pass every pollMs while caught up, the
// next pass at once while behind, and a doubling wait (up to maxBackoffMs) while the node or the
// database fails. Its status (last indexed block, head, lag, last error) is what the dashboards'
// "chain unreachable" banner reads.
import "server-only";
import { BaseError, createPublicClient, http, type PublicClient } from "viem";
import type { Db } from "@/server/db/connect";
import { chainConfig, type ChainConfig } from "./config";
import { chainDefinition } from "./definition";
import { indexOnce, type IndexerConfig, type IndexerState } from "./indexer";

export interface IndexerStatus {
  chainId: number;
  running: boolean;
  /** Every block up to this one is indexed; null before the first pass. */
  lastIndexedBlock: bigint | null;
  /** The node's latest block at the last successful pass. */
  head: bigint | null;
  /** head − lastIndexedBlock: blocks not (yet) indexed, the confirmation depth included. */
  lag: bigint | null;
  lastPassAt: Date | null;
  /** The last failure in words; null once a pass succeeds again. */
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
}

export interface IndexerLoopOptions {
  db: Db;
  client: PublicClient;
  config: IndexerConfig;
  pollMs?: number;
  maxBackoffMs?: number;
  log?: (message: string) => void;
}

function describe(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}

export class ChainIndexer {
  private readonly state: IndexerState = {};
  private readonly current: IndexerStatus;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly options: IndexerLoopOptions) {
    this.current = {
      chainId: options.config.chainId,
      running: false,
      lastIndexedBlock: null,
      head: null,
      lag: null,
      lastPassAt: null,
      lastError: null,
      lastErrorAt: null,
      consecutiveFailures: 0,
    };
  }

  status(): IndexerStatus {
    return { ...this.current };
  }

  /** One pass; records its outcome in the status. Resolves with whether to wait before the next (caught up, or failed). */
  async passOnce(): Promise<boolean> {
    try {
      const pass = await indexOnce(this.options.db, this.options.client, this.options.config, this.state);
      for (const reorg of pass.reorgs) this.options.log?.(`chain indexer: reorg on chain ${this.current.chainId}, went back from block ${reorg.from} to ${reorg.to}`);
      Object.assign(this.current, {
        lastIndexedBlock: pass.cursor.number,
        head: pass.head,
        lag: pass.head - pass.cursor.number,
        lastPassAt: new Date(),
        lastError: null,
        consecutiveFailures: 0,
      });
      return pass.caughtUp;
    } catch (error) {
      this.current.lastError = describe(error);
      this.current.lastErrorAt = new Date();
      this.current.consecutiveFailures++;
      if (this.current.consecutiveFailures === 1) this.options.log?.(`chain indexer: ${this.current.lastError} (retrying with backoff)`);
      return true;
    }
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.current.running = true;
    this.schedule(0);
  }

  async stop() {
    this.stopped = true;
    this.current.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.passOnce().then((caughtUp) => {
        const pollMs = this.options.pollMs ?? 2_000;
        const failures = this.current.consecutiveFailures;
        const backoff = Math.min(this.options.maxBackoffMs ?? 60_000, pollMs * 2 ** Math.max(failures - 1, 0));
        this.schedule(failures > 0 ? backoff : caughtUp ? pollMs : 0);
      });
    }, delayMs);
    this.timer.unref();
  }
}

const globalForIndexer = globalThis as unknown as { tributaryIndexer?: ChainIndexer | null };

/**
 * Starts the process's indexer on the configured chain (none when no chain is configured). Its
 * first backfill starts at the chain's start block (the local dev chain's recorded deployment
 * block, CHAIN_START_BLOCK on a chain from the settings); later ones go on from the stored cursor.
 */
export function startChainIndexer(db: Db, chain: ChainConfig | null = chainConfig()): ChainIndexer | null {
  if (globalForIndexer.tributaryIndexer !== undefined) return globalForIndexer.tributaryIndexer;
  if (!chain) return (globalForIndexer.tributaryIndexer = null);
  const client = createPublicClient({ chain: chainDefinition(chain.chainId, chain.rpcUrl), transport: http(chain.rpcUrl, { retryCount: 0, timeout: 30_000 }) });
  const indexer = new ChainIndexer({
    db,
    client,
    config: { chainId: chain.chainId, contracts: chain.addresses, startBlock: chain.startBlock ?? 0n, confirmations: chain.confirmations },
    log: (message) => console.error(message),
  });
  indexer.start();
  return (globalForIndexer.tributaryIndexer = indexer);
}

/** The running indexer's status, for the dashboards; null when this process runs none. */
export function chainIndexerStatus(): IndexerStatus | null {
  return globalForIndexer.tributaryIndexer?.status() ?? null;
}
