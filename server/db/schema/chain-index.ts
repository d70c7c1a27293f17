// What the chain indexer wrote: the contracts' events (chain_events, one row per log), typed
// projections of them that the dashboards read, the headers of recently indexed blocks (to see a
// reorg) and a cursor per chain and contract set. A projection row is keyed by its event and
// deleted with it (ON DELETE CASCADE), so rolling back an orphaned block is one delete of its
// events; totals (funded, claimed) are summed by queries, never stored as counters.
import { bigint, foreignKey, type AnyPgColumn, index, integer, jsonb, numeric, pgEnum, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** uint64 and uint256 values: numeric, read back as decimal strings (past int8's range). */
const uint = (name: string, digits: 20 | 78) => numeric(name, { precision: digits, scale: 0 });

/** Last indexed block of a chain, per set of indexed contracts (a redeployment starts afresh). */
export const chainCursors = pgTable(
  "chain_cursors",
  {
    chainId: integer("chain_id").notNull(),
    /** The indexed contracts' addresses, lower-cased, sorted and comma-separated. */
    contracts: text("contracts").notNull(),
    /** Every block up to this one is indexed (the start block − 1 before the first range). */
    blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
    /** Null until a block is indexed: there is nothing to compare before the start block. */
    blockHash: text("block_hash"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "chain_cursors_pkey", columns: [t.chainId, t.contracts] })],
);

/** Headers of indexed blocks (range ends and blocks with events), kept for the most recent ones: a reorg is found by walking back through them. */
export const chainBlocks = pgTable(
  "chain_blocks",
  {
    chainId: integer("chain_id").notNull(),
    number: bigint("number", { mode: "bigint" }).notNull(),
    hash: text("hash").notNull(),
    /** Null for a block known only from its logs. */
    parentHash: text("parent_hash"),
  },
  (t) => [primaryKey({ name: "chain_blocks_pkey", columns: [t.chainId, t.number] })],
);

export const chainEvents = pgTable(
  "chain_events",
  {
    chainId: integer("chain_id").notNull(),
    txHash: text("tx_hash").notNull(),
    logIndex: integer("log_index").notNull(),
    blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
    blockHash: text("block_hash").notNull(),
    /** The emitting contract, EIP-55. */
    address: text("address").notNull(),
    /** Null for a log the ABI does not know; its args are then `{ topics, data }`. */
    eventName: text("event_name"),
    /** Decoded arguments by name; integers as decimal strings. */
    args: jsonb("args").notNull(),
  },
  (t) => [
    primaryKey({ name: "chain_events_pkey", columns: [t.chainId, t.txHash, t.logIndex] }),
    index("chain_events_chain_id_block_number_idx").on(t.chainId, t.blockNumber),
  ],
);

/** The key and position every projection row shares with its event. */
const eventKey = () => ({
  chainId: integer("chain_id").notNull(),
  txHash: text("tx_hash").notNull(),
  logIndex: integer("log_index").notNull(),
  blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
  /** The emitting contract, EIP-55. */
  contract: text("contract").notNull(),
});

/** Primary key = the event's key; the row goes when its event goes. */
function ofEvent(table: string, t: { chainId: AnyPgColumn; txHash: AnyPgColumn; logIndex: AnyPgColumn }) {
  return [
    primaryKey({ name: `${table}_pkey`, columns: [t.chainId, t.txHash, t.logIndex] }),
    foreignKey({
      name: `${table}_event_fkey`,
      columns: [t.chainId, t.txHash, t.logIndex],
      foreignColumns: [chainEvents.chainId, chainEvents.txHash, chainEvents.logIndex],
    }).onDelete("cascade"),
  ];
}

export const chainDatanetChanges = ["registered", "updated"] as const;
export const chainDatanetChange = pgEnum("chain_datanet_change", chainDatanetChanges);

/** DatanetRegistered and DatanetUpdated: the Datanet's owner and metadata hash as of that event. */
export const chainDatanetRegistrations = pgTable(
  "chain_datanet_registrations",
  {
    ...eventKey(),
    change: chainDatanetChange("change").notNull(),
    datanetId: text("datanet_id").notNull(),
    owner: text("owner").notNull(),
    metadataHash: text("metadata_hash").notNull(),
  },
  (t) => [...ofEvent("chain_datanet_registrations", t), index("chain_datanet_registrations_datanet_idx").on(t.chainId, t.datanetId)],
);

/** VersionCommitted: a Datanet version's records root and counts. */
export const chainVersionCommits = pgTable(
  "chain_version_commits",
  {
    ...eventKey(),
    datanetId: text("datanet_id").notNull(),
    /** uint32 on-chain. */
    version: bigint("version", { mode: "number" }).notNull(),
    recordsRoot: text("records_root").notNull(),
    manifestHash: text("manifest_hash").notNull(),
    recordCount: uint("record_count", 20).notNull(),
    contributorCount: uint("contributor_count", 20).notNull(),
  },
  (t) => [...ofEvent("chain_version_commits", t), index("chain_version_commits_datanet_idx").on(t.chainId, t.datanetId, t.version)],
);

/** ModelRegistered: the adapter's hash, base model and the Datanet versions it was trained on. */
export const chainModelRegistrations = pgTable(
  "chain_model_registrations",
  {
    ...eventKey(),
    modelId: text("model_id").notNull(),
    owner: text("owner").notNull(),
    adapterHash: text("adapter_hash").notNull(),
    baseModel: text("base_model").notNull(),
    /** `[{ datanetId, version }]` as emitted. */
    datanetVersions: jsonb("datanet_versions").$type<{ datanetId: string; version: number }[]>().notNull(),
  },
  (t) => [...ofEvent("chain_model_registrations", t), index("chain_model_registrations_model_idx").on(t.chainId, t.modelId)],
);

/** EpochCommitted: an attribution epoch's Merkle root of (contributor, amount) leaves, its token and total. */
export const chainEpochs = pgTable(
  "chain_epochs",
  {
    ...eventKey(),
    modelId: text("model_id").notNull(),
    epoch: uint("epoch", 20).notNull(),
    root: text("root").notNull(),
    /** The zero address: the native currency. */
    token: text("token").notNull(),
    total: uint("total", 78).notNull(),
  },
  (t) => [...ofEvent("chain_epochs", t), index("chain_epochs_model_idx").on(t.chainId, t.modelId, t.epoch)],
);

/** EpochFunded: one funding of an epoch. */
export const chainEpochFundings = pgTable(
  "chain_epoch_fundings",
  {
    ...eventKey(),
    modelId: text("model_id").notNull(),
    epoch: uint("epoch", 20).notNull(),
    funder: text("funder").notNull(),
    amount: uint("amount", 78).notNull(),
  },
  (t) => [...ofEvent("chain_epoch_fundings", t), index("chain_epoch_fundings_model_idx").on(t.chainId, t.modelId, t.epoch)],
);

/** RewardClaimed: a contributor's paid share of an epoch. */
export const chainRewardClaims = pgTable(
  "chain_reward_claims",
  {
    ...eventKey(),
    modelId: text("model_id").notNull(),
    epoch: uint("epoch", 20).notNull(),
    contributor: text("contributor").notNull(),
    token: text("token").notNull(),
    amount: uint("amount", 78).notNull(),
  },
  (t) => [
    ...ofEvent("chain_reward_claims", t),
    index("chain_reward_claims_model_idx").on(t.chainId, t.modelId, t.epoch),
    index("chain_reward_claims_contributor_idx").on(t.chainId, t.contributor),
  ],
);

/**
 * The tables of decoded logs, by the name each has in a decoded batch (server/chain/indexer-decode.ts),
 * in the order they are written: events first, since the projections' foreign keys point at them.
 * The indexer, its benchmark and the tests that compare two indexed databases all go by this list.
 */
export const indexedLogTables = {
  events: chainEvents,
  datanetRegistrations: chainDatanetRegistrations,
  versionCommits: chainVersionCommits,
  modelRegistrations: chainModelRegistrations,
  epochs: chainEpochs,
  epochFundings: chainEpochFundings,
  rewardClaims: chainRewardClaims,
} as const;
export type IndexedLogTableName = keyof typeof indexedLogTables;
export const indexedLogTableNames = Object.keys(indexedLogTables) as IndexedLogTableName[];
