// Accounts: users (email + password and/or a wallet), single-use SIWE nonces,
// and the fixed-window counters that rate-limit sign-in attempts.
import { sql } from "drizzle-orm";
import { check, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Lower-cased; null for a wallet-only account. */
    email: text("email"),
    name: text("name").notNull(),
    /** scrypt$N$r$p$salt$hash; null until the user sets a password. */
    passwordHash: text("password_hash"),
    /** EIP-55 checksummed address; the user's payout address. */
    walletAddress: text("wallet_address"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    uniqueIndex("users_wallet_address_key").on(t.walletAddress),
    check("users_has_identity", sql`${t.email} is not null or ${t.walletAddress} is not null`),
  ],
);

export const siweNonces = pgTable("siwe_nonces", {
  nonce: text("nonce").primaryKey(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

export const rateLimitBuckets = pgTable("rate_limit_buckets", {
  key: text("key").primaryKey(),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  count: integer("count").notNull(),
});
