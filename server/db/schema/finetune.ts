// ModelFactory: models (a named line of LoRA adapters over one base model), the fine-tune
// runs that produce their versions, and the Datanet versions each run trained on.
import { foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { datanetVersions } from "./datanets";
import { jobs } from "./jobs";
import { organizations } from "./orgs";

export const models = pgTable(
  "models",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    /** Catalog id (server/finetune/catalog.ts). */
    baseModel: text("base_model").notNull(),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("models_org_id_slug_key").on(t.orgId, t.slug),
    foreignKey({ name: "models_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "models_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

/** One training run; a succeeded run is a model version (versionNumber set then). */
export const fineTunes = pgTable(
  "fine_tunes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    modelId: uuid("model_id").notNull(),
    jobId: uuid("job_id").notNull(),
    versionNumber: integer("version_number"),
    taskTemplate: text("task_template").notNull(),
    /** protocol.ts hyperparametersSchema. */
    hyperparameters: jsonb("hyperparameters").notNull(),
    exampleCount: integer("example_count").notNull(),
    tokenCount: integer("token_count").notNull(),
    /** server/finetune/estimate.ts at launch. */
    estimate: jsonb("estimate").notNull(),
    /** Blob keys of adapter_config.json and adapter_model.safetensors once trained. */
    adapter: jsonb("adapter"),
    /**
     * Hex SHA-256 of what `sha256sum adapter_config.json adapter_model.safetensors` prints for
     * the adapter's files: the adapter hash its registration on chain commits to.
     */
    adapterSha256: text("adapter_sha256"),
    metrics: jsonb("metrics"),
    evalReport: jsonb("eval_report"),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("fine_tunes_job_id_key").on(t.jobId),
    uniqueIndex("fine_tunes_model_id_version_number_key").on(t.modelId, t.versionNumber),
    index("fine_tunes_org_id_created_at_idx").on(t.orgId, t.createdAt),
    foreignKey({ name: "fine_tunes_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "fine_tunes_model_id_fkey", columns: [t.modelId], foreignColumns: [models.id] }).onDelete("cascade"),
    foreignKey({ name: "fine_tunes_job_id_fkey", columns: [t.jobId], foreignColumns: [jobs.id] }).onDelete("cascade"),
    foreignKey({ name: "fine_tunes_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

/** The Datanet versions a run trained on: attribution reads models back to these. */
export const fineTuneDatasets = pgTable(
  "fine_tune_datasets",
  {
    fineTuneId: uuid("fine_tune_id").notNull(),
    datanetVersionId: uuid("datanet_version_id").notNull(),
  },
  (t) => [
    primaryKey({ name: "fine_tune_datasets_pkey", columns: [t.fineTuneId, t.datanetVersionId] }),
    foreignKey({ name: "fine_tune_datasets_fine_tune_id_fkey", columns: [t.fineTuneId], foreignColumns: [fineTunes.id] }).onDelete("cascade"),
    foreignKey({ name: "fine_tune_datasets_datanet_version_id_fkey", columns: [t.datanetVersionId], foreignColumns: [datanetVersions.id] }).onDelete("restrict"),
  ],
);
