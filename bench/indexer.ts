// Indexer backfill benchmark: a local anvil holding ≥ N events of the real contracts
// (bench/indexer-chain.ts), indexed from the deployment block to the head into an empty database
// by indexOnce (ranged getLogs, decode, one JSON multi-row insert per table and range, cursor in
// the same transaction), against the naive baseline in the same run: getLogs one block at a
// time and one INSERT per event and per projection row.
// Run: npm run bench:indexer -- [--events 100000] [--baseline-events 10000] [--postgres] [--chain-state FILE]
// (--postgres uses TEST_DATABASE_URL, a role that may create databases). Writes
// bench/results/indexer.json (PGlite) or indexer-postgres.json.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { count, eq } from "drizzle-orm";
import postgres from "postgres";
import { createPublicClient, custom, http, type EIP1193RequestFn, type PublicClient } from "viem";
import { chainDefinition } from "@/server/chain/definition";
import { indexOnce, type IndexerConfig } from "@/server/chain/indexer";
import { contractAddresses, logDecoder, type MinedLog } from "@/server/chain/indexer-decode";
import { openDatabase, type Database } from "@/server/db/connect";
import { chainCursors, chainEvents, indexedLogTableNames, indexedLogTables } from "@/server/db/schema";
import { BENCH_CHAIN_ID, benchChain } from "./indexer-chain";

const { values: options } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    "baseline-events": { type: "string", default: "10000" },
    postgres: { type: "boolean", default: false },
    /** Save the generated chain here, or load it when an earlier run saved one for the same --events. */
    "chain-state": { type: "string" },
  },
});
const minEvents = Number(options.events);
const baselineEvents = Number(options["baseline-events"]);
const log = (line: string) => console.log(line);

interface BenchDatabase extends Database {
  drop(): Promise<void>;
}

/** An empty, migrated database: PGlite in a temporary folder (on disk, as the embedded default), or a throwaway Postgres database. */
async function emptyDatabase(): Promise<BenchDatabase> {
  if (!options.postgres) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tributary-bench-indexer-"));
    const database = openDatabase({ dataDir: dir });
    await database.migrate();
    return { ...database, drop: async () => (await database.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error("--postgres needs TEST_DATABASE_URL: a Postgres URL of a role allowed to create databases");
  const name = `tributary_bench_indexer_${randomBytes(4).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = openDatabase({ url: url.toString() });
  await database.migrate();
  return {
    ...database,
    drop: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** A client that adds up the time spent waiting for the node. */
function timedClient(url: string) {
  const timing = { rpcSeconds: 0, requests: 0 };
  const node = http(url, { retryCount: 0, timeout: 120_000 })({ retryCount: 0 });
  const request = (async (args: Parameters<typeof node.request>[0]) => {
    const started = performance.now();
    timing.requests++;
    try {
      return await node.request(args);
    } finally {
      timing.rpcSeconds += (performance.now() - started) / 1000;
    }
  }) as EIP1193RequestFn;
  const client = createPublicClient({ chain: chainDefinition(BENCH_CHAIN_ID, url), transport: custom({ request }, { retryCount: 0 }) });
  return { client: client as PublicClient, timing };
}

async function indexedEvents(database: Database) {
  const [row] = await database.db.select({ n: count() }).from(chainEvents).where(eq(chainEvents.chainId, BENCH_CHAIN_ID));
  return row?.n ?? 0;
}

/** indexOnce until caught up, as the services loop does on a fresh database. */
async function backfill(url: string, config: IndexerConfig) {
  const database = await emptyDatabase();
  const { client, timing } = timedClient(url);
  try {
    const started = performance.now();
    let ranges = 0;
    const spent = { waitMs: 0, decodeMs: 0, writeMs: 0 };
    for (;;) {
      const pass = await indexOnce(database.db, client, { ...config, maxRangesPerPass: 1_000_000 });
      ranges += pass.ranges;
      for (const k of Object.keys(spent) as (keyof typeof spent)[]) spent[k] += pass.timings[k];
      if (pass.caughtUp) break;
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      events: await indexedEvents(database),
      seconds,
      ranges,
      rpcSeconds: timing.rpcSeconds,
      requests: timing.requests,
      waitSeconds: spent.waitMs / 1000,
      decodeSeconds: spent.decodeMs / 1000,
      writeSeconds: spent.writeMs / 1000,
    };
  } finally {
    await database.drop();
  }
}

/** The naive indexer: one getLogs per block, one INSERT per event and per projection row (the same rows), the cursor per block. */
async function naiveBackfill(url: string, config: IndexerConfig, head: bigint, limit: number) {
  const database = await emptyDatabase();
  const { client, timing } = timedClient(url);
  const decode = logDecoder(config.chainId, config.contracts);
  const key = { chainId: config.chainId, contracts: "naive" };
  try {
    await database.db.insert(chainCursors).values({ ...key, blockNumber: config.startBlock - 1n });
    const started = performance.now();
    let events = 0;
    for (let block = config.startBlock; block <= head && events < limit; block++) {
      const logs = (await client.getLogs({ address: contractAddresses(config.contracts), fromBlock: block, toBlock: block })) as MinedLog[];
      const { db } = database;
      for (const log of logs) {
        const rows = decode([log]);
        for (const name of indexedLogTableNames) for (const row of rows[name]) await db.insert(indexedLogTables[name]).values(row).onConflictDoNothing();
        events++;
      }
      await database.db.update(chainCursors).set({ blockNumber: block }).where(eq(chainCursors.contracts, key.contracts));
    }
    const seconds = (performance.now() - started) / 1000;
    return { events, seconds, rpcSeconds: timing.rpcSeconds, requests: timing.requests, waitSeconds: timing.rpcSeconds };
  } finally {
    await database.drop();
  }
}

function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? "cpu"} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

async function main() {
  const loadBefore = os.loadavg();
  log(`making a chain with ≥ ${minEvents.toLocaleString("en-US")} events…`);
  const chain = await benchChain(minEvents, log, options["chain-state"]);
  log(`  ${chain.events.toLocaleString("en-US")} events in ${chain.head} blocks, ${chain.loaded ? "loaded" : "made"} in ${chain.seconds.toFixed(0)} s`);
  const config: IndexerConfig = { chainId: BENCH_CHAIN_ID, contracts: chain.deployment, startBlock: chain.deployment.deployedAtBlock, confirmations: 1 };
  const database = options.postgres ? "postgres" : "pglite";
  try {
    log(`indexOnce backfill into ${database}…`);
    const indexer = await backfill(chain.anvil.url, config);
    if (indexer.events !== chain.events) throw new Error(`the backfill indexed ${indexer.events} events, the chain holds ${chain.events}`);
    log(`naive baseline (first ${baselineEvents.toLocaleString("en-US")} events)…`);
    const naive = await naiveBackfill(chain.anvil.url, config, chain.head, baselineEvents);
    const loadAfter = os.loadavg();

    const rate = (r: { events: number; seconds: number }) => r.events / r.seconds;
    log(`\n${"".padEnd(34)} ${"events".padStart(9)} ${"seconds".padStart(8)} ${"events/s".padStart(9)} ${"RPC wait s".padStart(11)} ${"requests".padStart(9)}`);
    for (const [name, r] of [["indexOnce (ranges, bulk insert)", indexer], ["naive (block by block, row by row)", naive]] as const) {
      log(`${name.padEnd(34)} ${r.events.toLocaleString("en-US").padStart(9)} ${r.seconds.toFixed(1).padStart(8)} ${rate(r).toFixed(0).padStart(9)} ${r.waitSeconds.toFixed(1).padStart(11)} ${String(r.requests).padStart(9)}`);
    }
    log(`indexOnce: ${indexer.ranges} ranges; decoding ${indexer.decodeSeconds.toFixed(1)} s, writing ${indexer.writeSeconds.toFixed(1)} s, RPC ${indexer.rpcSeconds.toFixed(1)} s of which ${indexer.waitSeconds.toFixed(1)} s not hidden by prefetching`);
    log(`speed-up ${(rate(indexer) / rate(naive)).toFixed(1)}x; goal ≥ 5,000 events/s: ${rate(indexer) >= 5_000 ? "met" : "NOT met"}`);
    log(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadAfter.map((l) => l.toFixed(2)).join(" ")} (${os.cpus().length} cores)`);

    const out = path.join(import.meta.dirname, "results", options.postgres ? "indexer-postgres.json" : "indexer.json");
    mkdirSync(path.dirname(out), { recursive: true });
    const result = {
      benchmark: "bench/indexer.ts",
      date: new Date().toISOString(),
      machine: machine(),
      loadAverage: { before: loadBefore, after: loadAfter },
      note: "a shared machine: other engineers' builds and tests ran at the same time; the load averages say how busy it was (1, 5, 15 minutes)",
      database,
      chain: { events: chain.events, blocks: Number(chain.head), eventsPerBlock: Math.round(chain.events / Number(chain.head)), madeSeconds: chain.loaded ? null : chain.seconds },
      events: indexer.events,
      seconds: indexer.seconds,
      events_per_s: Math.round(rate(indexer)),
      ranges: indexer.ranges,
      requests: indexer.requests,
      /** Summed RPC request time; most of it overlaps decoding and writing (the next range is prefetched). */
      rpcSeconds: indexer.rpcSeconds,
      rpcWaitSeconds: indexer.waitSeconds,
      decodeSeconds: indexer.decodeSeconds,
      writeSeconds: indexer.writeSeconds,
      baseline: { what: "getLogs per block, one INSERT per event and per projection row, cursor per block", events: naive.events, seconds: naive.seconds, rpcSeconds: naive.rpcSeconds },
      baseline_events_per_s: Math.round(rate(naive)),
    };
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${out}`);
  } finally {
    await chain.anvil.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
