// The chain outbox: every transaction the platform sends is first a row here (its idempotency key
// unique), then sent, confirmed or failed by the sender loop (server/chain/outbox.ts). The row
// keeps the nonce, hash and signed bytes of its transaction, so a restarted process or node
// re-broadcasts the same transaction rather than sending a second one.
import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const chainOutboxStatuses = ["pending", "sent", "confirmed", "failed"] as const;
export const chainOutboxStatus = pgEnum("chain_outbox_status", chainOutboxStatuses);

export const chainOutbox = pgTable(
  "chain_outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Who asked for it and for what, e.g. `datanet-version:<versionId>`: the same key is the same row. */
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
    uniqueIndex("chain_outbox_idempotency_key_key").on(t.idempotencyKey),
    index("chain_outbox_pending_idx").on(t.chainId, t.createdAt).where(sql`${t.status} = 'pending'`),
    index("chain_outbox_sent_idx").on(t.chainId, t.fromAddress, t.nonce).where(sql`${t.status} = 'sent'`),
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
