// The chain outbox: every transaction the platform sends is first a row here (its idempotency key
// unique per chain), then sent, confirmed or failed by the sender (server/chain/sender.ts). The
// row keeps the nonce, hash and signed bytes of its transaction, stored before the broadcast, so
// a restarted process or node re-broadcasts the same transaction rather than sending a second one.
import { sql } from "drizzle-orm";
import { bigint, foreignKey, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** pending: not signed yet (or to be signed again); sent: signed and stored, broadcast at least once
 * attempted; confirmed: mined, successful, and deep enough; failed: reverted or can never be sent. */
export const chainOutboxStatuses = ["pending", "sent", "confirmed", "failed"] as const;
export const chainOutboxStatus = pgEnum("chain_outbox_status", chainOutboxStatuses);

export const chainOutbox = pgTable(
  "chain_outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Who asked for it and for what, e.g. `datanet-version:<versionId>`: on one chain, the same key is the same row. */
    idempotencyKey: text("idempotency_key").notNull(),
    chainId: integer("chain_id").notNull(),
    /** The call as people read it: { contract, functionName, args } (bigints as decimal strings). */
    call: jsonb("call").notNull(),
    /** What is sent: the contract's address, the encoded calldata and the value in wei (decimal). */
    to: text("to").notNull(),
    data: text("data").notNull(),
    value: text("value").notNull().default("0"),
    status: chainOutboxStatus("status").notNull().default("pending"),
    /** The signer, nonce, hash and signed bytes of the transaction; set together when it is signed. */
    fromAddress: text("from_address"),
    nonce: bigint("nonce", { mode: "number" }),
    txHash: text("tx_hash"),
    rawTx: text("raw_tx"),
    blockNumber: bigint("block_number", { mode: "number" }),
    /** Send attempts and failed steps (estimation, broadcast, RPC errors). */
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** Nothing is tried on the row before then (backoff after an error). */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    confirmedAt: timestamp("confirmed_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("chain_outbox_chain_id_idempotency_key_key").on(t.chainId, t.idempotencyKey),
    /** The sender's "what is due" scan and the dashboard's pending count. */
    index("chain_outbox_open_idx").on(t.chainId, t.nextAttemptAt).where(sql`${t.status} in ('pending', 'sent')`),
    index("chain_outbox_sent_idx").on(t.chainId, t.fromAddress, t.nonce).where(sql`${t.status} = 'sent'`),
  ],
);

/**
 * Rows that must be confirmed before a row is sent: a Datanet's registration before its versions,
 * every Datanet version a model trained on before the model's registration, the registration
 * before the model's epochs. A dependency is never deleted while a row waits on it.
 */
export const chainOutboxDependencies = pgTable(
  "chain_outbox_dependencies",
  {
    outboxId: uuid("outbox_id").notNull(),
    dependsOn: uuid("depends_on").notNull(),
  },
  (t) => [
    primaryKey({ name: "chain_outbox_dependencies_pkey", columns: [t.outboxId, t.dependsOn] }),
    index("chain_outbox_dependencies_depends_on_idx").on(t.dependsOn),
    foreignKey({ name: "chain_outbox_dependencies_outbox_id_fkey", columns: [t.outboxId], foreignColumns: [chainOutbox.id] }).onDelete("cascade"),
    foreignKey({ name: "chain_outbox_dependencies_depends_on_fkey", columns: [t.dependsOn], foreignColumns: [chainOutbox.id] }).onDelete("restrict"),
  ],
);

/** One sender at a time per signer: the loop that holds this lease allocates its nonces. */
export const chainSenderLeases = pgTable(
  "chain_sender_leases",
  {
    chainId: integer("chain_id").notNull(),
    address: text("address").notNull(),
    holder: text("holder").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ name: "chain_sender_leases_pkey", columns: [t.chainId, t.address] })],
);
