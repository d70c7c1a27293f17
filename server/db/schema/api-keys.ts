// API keys that app builders call the /v1 gateway with, their deployment scopes, the
// per-minute windows their rate limits count in, and usage rolled up per key, deployment and day.
import { bigint, boolean, date, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { organizations } from "./orgs";
import { deployments } from "./serving";

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    name: text("name").notNull(),
    /** The first characters of the key (`trb_AbC123`), shown so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** sha256 hex of the whole key; the key itself is shown once and never stored. */
    tokenHash: text("token_hash").notNull(),
    /** True: every deployment of the org, present and future; false: only those in api_key_deployments. */
    allDeployments: boolean("all_deployments").notNull().default(true),
    /** Null: no limit. */
    requestsPerMinute: integer("requests_per_minute"),
    tokensPerMinute: integer("tokens_per_minute"),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** Written at most once a minute, so it is exact to the minute. */
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("api_keys_token_hash_key").on(t.tokenHash),
    index("api_keys_org_id_created_at_idx").on(t.orgId, t.createdAt),
    foreignKey({ name: "api_keys_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "api_keys_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

/** The deployments a key with allDeployments = false may call. */
export const apiKeyDeployments = pgTable(
  "api_key_deployments",
  {
    keyId: uuid("key_id").notNull(),
    deploymentId: uuid("deployment_id").notNull(),
  },
  (t) => [
    primaryKey({ name: "api_key_deployments_pkey", columns: [t.keyId, t.deploymentId] }),
    index("api_key_deployments_deployment_id_idx").on(t.deploymentId),
    foreignKey({ name: "api_key_deployments_key_id_fkey", columns: [t.keyId], foreignColumns: [apiKeys.id] }).onDelete("cascade"),
    foreignKey({ name: "api_key_deployments_deployment_id_fkey", columns: [t.deploymentId], foreignColumns: [deployments.id] }).onDelete("cascade"),
  ],
);

/**
 * The current one-minute window of each rate-limited key: one row per key, restarted in
 * place when a request arrives in a later minute, so the table never grows past the keys.
 */
export const apiKeyRateWindows = pgTable(
  "api_key_rate_windows",
  {
    keyId: uuid("key_id").primaryKey(),
    /** The UTC minute this window counts, truncated (date_trunc('minute', now())). */
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    requests: integer("requests").notNull(),
    /** Tokens reserved by admitted requests, corrected to what they used (see rate-limit.ts). */
    tokens: bigint("tokens", { mode: "number" }).notNull(),
  },
  (t) => [foreignKey({ name: "api_key_rate_windows_key_id_fkey", columns: [t.keyId], foreignColumns: [apiKeys.id] }).onDelete("cascade")],
);

/**
 * Usage per key, deployment and UTC day. deployment_id has no foreign key on purpose: the
 * history of a deployment that is deleted (with its model) still counts in the org's usage.
 */
export const apiUsageDaily = pgTable(
  "api_usage_daily",
  {
    keyId: uuid("key_id").notNull(),
    deploymentId: uuid("deployment_id").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    requests: integer("requests").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    promptTokens: bigint("prompt_tokens", { mode: "number" }).notNull().default(0),
    completionTokens: bigint("completion_tokens", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ name: "api_usage_daily_pkey", columns: [t.keyId, t.deploymentId, t.day] }),
    index("api_usage_daily_day_idx").on(t.day),
    foreignKey({ name: "api_usage_daily_key_id_fkey", columns: [t.keyId], foreignColumns: [apiKeys.id] }).onDelete("cascade"),
  ],
);

export type ApiKey = typeof apiKeys.$inferSelect;
