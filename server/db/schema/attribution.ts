// Proof of Attribution, off-chain side: the suffix-array index of each model version's training
// snapshots, each inference's attribution (matched spans, records, contributor shares), and
// per-epoch roll-ups into Merkle leaves whose root the chain commits.
import { sql } from "drizzle-orm";
import { doublePrecision, foreignKey, index, integer, jsonb, numeric, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { apiKeys } from "./api-keys";
import { fineTunes, models } from "./finetune";
import { deployments } from "./serving";
import { organizations } from "./orgs";

/** pending: the version was trained, the index is yet to build; building: a builder claimed it (`startedAt`). */
export const attributionIndexStatus = pgEnum("attribution_index_status", ["pending", "building", "ready", "failed"]);
export const attributionMethod = pgEnum("attribution_method", ["spans", "fallback"]);

const amount = (name: string) => numeric(name, { precision: 78, scale: 0 });

export const attributionIndexes = pgTable(
  "attribution_indexes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The model version (fine_tunes row) whose training snapshots are indexed. */
    fineTuneId: uuid("fine_tune_id").notNull(),
    orgId: uuid("org_id").notNull(),
    modelId: uuid("model_id").notNull(),
    status: attributionIndexStatus("status").notNull().default("pending"),
    /** Hex sha256 of the index manifest (server/attribution/corpus.ts indexManifest). */
    indexHash: text("index_hash"),
    /** `attribution/<fineTuneId>/<indexHash>/`: manifest.json, text.bin, sa.bin, records.jsonl. */
    blobPrefix: text("blob_prefix"),
    /** The snapshots in index order: [{datanetVersionId, key, sha256}]. */
    snapshots: jsonb("snapshots"),
    recordCount: integer("record_count"),
    textBytes: integer("text_bytes"),
    buildMs: integer("build_ms"),
    attempts: integer("attempts").notNull().default(0),
    /** Why the last build failed. */
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("attribution_indexes_fine_tune_id_key").on(t.fineTuneId),
    index("attribution_indexes_status_idx").on(t.status),
    foreignKey({ name: "attribution_indexes_fine_tune_id_fkey", columns: [t.fineTuneId], foreignColumns: [fineTunes.id] }).onDelete("cascade"),
    foreignKey({ name: "attribution_indexes_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "attribution_indexes_model_id_fkey", columns: [t.modelId], foreignColumns: [models.id] }).onDelete("cascade"),
  ],
);

/**
 * Inferences waiting to be attributed (recordInferenceForAttribution): the output is kept only
 * until the attribution consumer has matched it, then the row goes. pending: due at `notBefore`;
 * failed: given up (`error` says why).
 */
export const attributionRequestStatus = pgEnum("attribution_request_status", ["pending", "failed"]);

export const attributionRequests = pgTable(
  "attribution_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    inferenceId: text("inference_id").notNull(),
    orgId: uuid("org_id").notNull(),
    /** The model version that answered. */
    fineTuneId: uuid("fine_tune_id").notNull(),
    deploymentId: uuid("deployment_id"),
    /** The API key that asked; null for the playground. */
    keyId: uuid("key_id"),
    output: text("output").notNull(),
    promptTokens: integer("prompt_tokens").notNull(),
    completionTokens: integer("completion_tokens").notNull(),
    /** The fee split in force when it was answered (its deployment's), in basis points summing to 10,000;
     * the defaults are what requests queued before splits existed meant: all of it to the contributors. */
    platformBps: integer("platform_bps").notNull().default(0),
    ownerBps: integer("owner_bps").notNull().default(0),
    contributorsBps: integer("contributors_bps").notNull().default(10000),
    /** When the inference ended: its epoch. */
    inferredAt: timestamp("inferred_at", { withTimezone: true }).notNull(),
    status: attributionRequestStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    notBefore: timestamp("not_before", { withTimezone: true }).notNull().defaultNow(),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("attribution_requests_inference_id_key").on(t.inferenceId),
    index("attribution_requests_status_not_before_idx").on(t.status, t.notBefore),
    foreignKey({ name: "attribution_requests_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "attribution_requests_fine_tune_id_fkey", columns: [t.fineTuneId], foreignColumns: [fineTunes.id] }).onDelete("cascade"),
  ],
);

export const inferenceAttributions = pgTable(
  "inference_attributions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The gateway's id of the completion; attributing it again returns the stored row. */
    inferenceId: text("inference_id").notNull(),
    orgId: uuid("org_id").notNull(),
    modelId: uuid("model_id").notNull(),
    fineTuneId: uuid("fine_tune_id").notNull(),
    deploymentId: uuid("deployment_id"),
    /** The API key that asked; null for the playground. */
    keyId: uuid("key_id"),
    indexId: uuid("index_id").notNull(),
    indexHash: text("index_hash").notNull(),
    /** UTC day number of when it was attributed (server/attribution/epochs.ts epochOf). */
    epoch: integer("epoch").notNull(),
    method: attributionMethod("method").notNull(),
    minWords: integer("min_words").notNull(),
    /** Hex sha256 of the output's UTF-8 bytes. */
    outputSha256: text("output_sha256").notNull(),
    /** The contributors' part of the inference's fee, in the smallest unit (wei). */
    feeAmount: amount("fee_amount").notNull(),
    /** The model owner's and the platform's parts of the same fee (server/serving/fee-split.ts). */
    ownerAmount: amount("owner_amount").notNull().default("0"),
    platformAmount: amount("platform_amount").notNull().default("0"),
    /** server/attribution/shares.ts WeightedSpan[]. */
    spans: jsonb("spans").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("inference_attributions_inference_id_key").on(t.inferenceId),
    index("inference_attributions_model_id_epoch_idx").on(t.modelId, t.epoch),
    index("inference_attributions_epoch_idx").on(t.epoch),
    foreignKey({ name: "inference_attributions_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "inference_attributions_model_id_fkey", columns: [t.modelId], foreignColumns: [models.id] }).onDelete("cascade"),
    foreignKey({ name: "inference_attributions_fine_tune_id_fkey", columns: [t.fineTuneId], foreignColumns: [fineTunes.id] }).onDelete("cascade"),
    foreignKey({ name: "inference_attributions_index_id_fkey", columns: [t.indexId], foreignColumns: [attributionIndexes.id] }).onDelete("cascade"),
    foreignKey({ name: "inference_attributions_deployment_id_fkey", columns: [t.deploymentId], foreignColumns: [deployments.id] }).onDelete("set null"),
    foreignKey({ name: "inference_attributions_key_id_fkey", columns: [t.keyId], foreignColumns: [apiKeys.id] }).onDelete("set null"),
  ],
);

/** One row per contributor (the snapshot's contributor id and wallet pair) of an inference. */
export const inferenceAttributionShares = pgTable(
  "inference_attribution_shares",
  {
    attributionId: uuid("attribution_id").notNull(),
    /** `<contributorId>|<wallet>`, either part empty when the snapshot has none. */
    contributorKey: text("contributor_key").notNull(),
    contributorId: uuid("contributor_id"),
    /** Lowercase 0x address, or null: such a share is kept but left out of the epoch's leaves. */
    contributorWallet: text("contributor_wallet"),
    weight: doublePrecision("weight").notNull(),
    share: doublePrecision("share").notNull(),
    amount: amount("amount").notNull(),
  },
  (t) => [
    primaryKey({ name: "inference_attribution_shares_pkey", columns: [t.attributionId, t.contributorKey] }),
    index("inference_attribution_shares_contributor_wallet_idx").on(t.contributorWallet),
    index("inference_attribution_shares_contributor_id_idx").on(t.contributorId),
    foreignKey({ name: "inference_attribution_shares_attribution_id_fkey", columns: [t.attributionId], foreignColumns: [inferenceAttributions.id] }).onDelete("cascade"),
  ],
);

/**
 * An epoch's roll-up, made once after the epoch ends (server/attribution/epochs.ts): what its
 * attributions owe, per model version (the contract's "model") and contributor. The row marks the
 * epoch rolled up and sums its versions'.
 */
export const attributionEpochs = pgTable("attribution_epochs", {
  /** UTC day number (epochOf). */
  epoch: integer("epoch").primaryKey(),
  /** Sum of the versions' reward trees: what the epoch's commits pay. */
  total: amount("total").notNull(),
  /** Sum of the shares of contributors the snapshots named no wallet for: owed, not in the trees. */
  withoutWallet: amount("without_wallet").notNull(),
  shareCount: integer("share_count").notNull(),
  inferenceCount: integer("inference_count").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One model version's part of a rolled-up epoch: its fees split three ways, and the reward tree
 * over its wallets' shares (the data contributors', and the owner's when the owner has a wallet)
 * whose root TributaryRewards.commitEpoch records. `queuedAt` is set in the transaction that
 * queues the commit in the chain outbox (server/chain/epoch-commits.ts).
 */
export const attributionEpochModels = pgTable(
  "attribution_epoch_models",
  {
    epoch: integer("epoch").notNull(),
    /** The model version: the model id on chain is this uuid as bytes32. */
    fineTuneId: uuid("fine_tune_id").notNull(),
    orgId: uuid("org_id").notNull(),
    modelId: uuid("model_id").notNull(),
    inferenceCount: integer("inference_count").notNull(),
    /** The data contributors' parts of the fees, wallets or not. */
    contributorsAmount: amount("contributors_amount").notNull(),
    /** The model owner's parts, a leaf for `ownerWallet` (the version's creator's linked wallet) when there is one. */
    ownerAmount: amount("owner_amount").notNull(),
    ownerWallet: text("owner_wallet"),
    /** The platform's parts: kept by the platform, in no tree. */
    platformAmount: amount("platform_amount").notNull(),
    /** The reward tree's root (0x hex) and total; null and 0 when no share has a wallet (nothing to commit). */
    root: text("root"),
    total: amount("total").notNull(),
    /** Where and under which outbox keys the commit (and, on a dev chain, the funding) was queued. */
    chainId: integer("chain_id"),
    rewardsAddress: text("rewards_address"),
    commitKey: text("commit_key"),
    fundKey: text("fund_key"),
    queuedAt: timestamp("queued_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ name: "attribution_epoch_models_pkey", columns: [t.epoch, t.fineTuneId] }),
    /** What the commit loop looks for. */
    index("attribution_epoch_models_to_commit_idx").on(t.epoch).where(sql`${t.root} is not null and ${t.queuedAt} is null`),
    index("attribution_epoch_models_fine_tune_id_idx").on(t.fineTuneId),
    foreignKey({ name: "attribution_epoch_models_epoch_fkey", columns: [t.epoch], foreignColumns: [attributionEpochs.epoch] }).onDelete("cascade"),
    foreignKey({ name: "attribution_epoch_models_fine_tune_id_fkey", columns: [t.fineTuneId], foreignColumns: [fineTunes.id] }).onDelete("cascade"),
    foreignKey({ name: "attribution_epoch_models_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "attribution_epoch_models_model_id_fkey", columns: [t.modelId], foreignColumns: [models.id] }).onDelete("cascade"),
  ],
);

/**
 * One per wallet (lowercase) of a version's epoch, or per contributor id where there is no
 * wallet. A wallet's share is a leaf of the version's reward tree: its proof is kept here for the
 * claim (attribution.claimable).
 */
export const attributionEpochShares = pgTable(
  "attribution_epoch_shares",
  {
    epoch: integer("epoch").notNull(),
    fineTuneId: uuid("fine_tune_id").notNull(),
    /** The lowercase wallet, or `contributor:<id>` when there is none. */
    contributorKey: text("contributor_key").notNull(),
    wallet: text("wallet"),
    contributorId: uuid("contributor_id"),
    amount: amount("amount").notNull(),
    /** The leaf's Merkle proof (0x hex strings); null for a share without a wallet. */
    proof: jsonb("proof"),
  },
  (t) => [
    primaryKey({ name: "attribution_epoch_shares_pkey", columns: [t.epoch, t.fineTuneId, t.contributorKey] }),
    index("attribution_epoch_shares_wallet_idx").on(t.wallet),
    index("attribution_epoch_shares_contributor_id_idx").on(t.contributorId),
    foreignKey({ name: "attribution_epoch_shares_epoch_fine_tune_id_fkey", columns: [t.epoch, t.fineTuneId], foreignColumns: [attributionEpochModels.epoch, attributionEpochModels.fineTuneId] }).onDelete(
      "cascade",
    ),
  ],
);

export type AttributionIndexRow = typeof attributionIndexes.$inferSelect;
export type AttributionRequest = typeof attributionRequests.$inferSelect;
