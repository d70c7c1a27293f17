// The job queue (fine-tunes, playground generations) and the workers that lease its jobs.
// A job row is the source of truth: status, lease, attempts, progress, result, events.
import { sql } from "drizzle-orm";
import { bigint, foreignKey, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { organizations } from "./orgs";

export const jobStatuses = ["validating", "queued", "running", "succeeded", "failed", "cancelled"] as const;
export const jobStatus = pgEnum("job_status", jobStatuses);
export const jobKind = pgEnum("job_kind", ["finetune", "generate"]);
export const jobEventLevel = pgEnum("job_event_level", ["info", "warn", "error", "metric"]);

/** A secret a worker presents; org null means a platform worker that serves every org. */
export const workerTokens = pgTable(
  "worker_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id"),
    name: text("name").notNull(),
    /** The first characters of the token, shown so people can tell tokens apart. */
    prefix: text("prefix").notNull(),
    /** sha256 hex of the whole token; the token itself is shown once and never stored. */
    tokenHash: text("token_hash").notNull(),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("worker_tokens_token_hash_key").on(t.tokenHash),
    index("worker_tokens_org_id_idx").on(t.orgId),
    foreignKey({ name: "worker_tokens_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "worker_tokens_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

/** One running worker process, registered with a token and its capabilities. */
export const workers = pgTable(
  "workers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tokenId: uuid("token_id").notNull(),
    name: text("name").notNull(),
    version: text("version").notNull(),
    /** protocol.ts capabilitiesSchema: device, GPU, loadable models, job kinds. */
    capabilities: jsonb("capabilities").notNull(),
    registeredAt: timestamp("registered_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("workers_token_id_idx").on(t.tokenId),
    index("workers_last_seen_at_idx").on(t.lastSeenAt),
    foreignKey({ name: "workers_token_id_fkey", columns: [t.tokenId], foreignColumns: [workerTokens.id] }).onDelete("cascade"),
  ],
);

export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    kind: jobKind("kind").notNull(),
    status: jobStatus("status").notNull().default("queued"),
    /** Higher runs first. */
    priority: integer("priority").notNull().default(0),
    /** What a worker needs: { baseModel, device: "any"|"cuda"|"cpu", minGpuMemoryGb }. */
    requirements: jsonb("requirements").notNull(),
    /** protocol.ts jobPayload without the per-lease URLs (they are signed at lease time). */
    payload: jsonb("payload").notNull(),
    result: jsonb("result"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    /** A requeued job waits until then (backoff). */
    runAfter: timestamp("run_after", { withTimezone: true }).notNull().defaultNow(),
    leaseId: uuid("lease_id"),
    leaseWorkerId: uuid("lease_worker_id"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    /** protocol.ts progressSchema, from the last heartbeat. */
    progress: jsonb("progress"),
    /** The last checkpoint uploaded: { key, step }; a retried attempt resumes from it. */
    checkpoint: jsonb("checkpoint"),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("jobs_queue_idx").on(t.status, t.priority.desc(), t.createdAt).where(sql`${t.status} = 'queued'`),
    index("jobs_lease_expires_at_idx").on(t.leaseExpiresAt).where(sql`${t.status} = 'running'`),
    index("jobs_org_id_created_at_idx").on(t.orgId, t.createdAt),
    foreignKey({ name: "jobs_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "jobs_lease_worker_id_fkey", columns: [t.leaseWorkerId], foreignColumns: [workers.id] }).onDelete("set null"),
    foreignKey({ name: "jobs_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

/** The job's log: messages (info/warn/error) and metric points, in order. */
export const jobEvents = pgTable(
  "job_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    jobId: uuid("job_id").notNull(),
    level: jobEventLevel("level").notNull(),
    message: text("message").notNull(),
    /** Metric events: { step, name, value }. */
    data: jsonb("data"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("job_events_job_id_id_idx").on(t.jobId, t.id),
    foreignKey({ name: "job_events_job_id_fkey", columns: [t.jobId], foreignColumns: [jobs.id] }).onDelete("cascade"),
  ],
);

export type JobStatus = (typeof jobStatuses)[number];
export type Job = typeof jobs.$inferSelect;
