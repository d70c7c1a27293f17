// Serving: deployments put a model version (a LoRA adapter) behind the OpenAI-compatible
// gateway under a name that API callers pass as `model`.
import { sql } from "drizzle-orm";
import { check, foreignKey, index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { fineTunes, models } from "./finetune";
import { organizations } from "./orgs";

export const deploymentStatuses = ["pending", "loading", "ready", "failed", "stopped"] as const;
export const deploymentStatus = pgEnum("deployment_status", deploymentStatuses);
export type DeploymentStatus = (typeof deploymentStatuses)[number];

export const deployments = pgTable(
  "deployments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    /** Slug-like; what API callers pass as `model`. A stopped deployment keeps its name (and its key scopes) and can be deployed again. */
    name: text("name").notNull(),
    modelId: uuid("model_id").notNull(),
    /** The model version served; its id is the adapter id on the workers. */
    fineTuneId: uuid("fine_tune_id").notNull(),
    /** Catalog id, copied from the model so routing needs no join. */
    baseModel: text("base_model").notNull(),
    status: deploymentStatus("status").notNull().default("pending"),
    /** Why it failed (or what it is waiting for), in words a user can act on. */
    statusMessage: text("status_message"),
    /**
     * Each call's fee split in basis points (server/serving/fee-split.ts): the platform's, the
     * model owner's and the training data's contributors' parts, summing to 10,000. New
     * deployments take DEPLOYMENT_FEE_SPLIT; the columns' defaults are that setting's default.
     */
    platformBps: integer("platform_bps").notNull().default(1000),
    ownerBps: integer("owner_bps").notNull().default(2000),
    contributorsBps: integer("contributors_bps").notNull().default(7000),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    stoppedAt: timestamp("stopped_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("deployments_org_id_name_key").on(t.orgId, t.name),
    index("deployments_fine_tune_id_idx").on(t.fineTuneId),
    index("deployments_org_id_created_at_idx").on(t.orgId, t.createdAt),
    foreignKey({ name: "deployments_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "deployments_model_id_fkey", columns: [t.modelId], foreignColumns: [models.id] }).onDelete("cascade"),
    foreignKey({ name: "deployments_fine_tune_id_fkey", columns: [t.fineTuneId], foreignColumns: [fineTunes.id] }).onDelete("cascade"),
    foreignKey({ name: "deployments_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
    check(
      "deployments_fee_split_check",
      sql`${t.platformBps} between 0 and 10000 and ${t.ownerBps} between 0 and 10000 and ${t.contributorsBps} between 0 and 10000 and ${t.platformBps} + ${t.ownerBps} + ${t.contributorsBps} = 10000`,
    ),
  ],
);

export type Deployment = typeof deployments.$inferSelect;
