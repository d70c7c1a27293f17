// Datanets: a community's pooled records for one domain, the uploads they came from,
// curation status per record, and immutable published versions.
import { sql } from "drizzle-orm";
import {
  bigint,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./auth";
import { organizations } from "./orgs";

export const recordFormats = ["chat", "instruction", "text"] as const;
export const recordFormat = pgEnum("record_format", recordFormats);
export const datanetVisibility = pgEnum("datanet_visibility", ["public", "private"]);
/** `approval`: owners/admins accept each contribution; `auto_org`: org members' records are accepted at once. */
export const contributionPolicy = pgEnum("contribution_policy", ["approval", "auto_org"]);
export const datanetStatus = pgEnum("datanet_status", ["draft", "active"]);
export const recordStatus = pgEnum("record_status", ["pending", "accepted", "rejected"]);
/** uploaded: bytes stored, format detected; validating: a background run reads the file;
 * validated: report ready; importing: a background run creates the records; imported: done.
 * A failed run goes back to the state it started from with `error` set; a cancelled upload
 * is deleted with its blobs, so it has no status. */
export const uploadStatuses = ["uploaded", "validating", "validated", "importing", "imported"] as const;
export const uploadStatus = pgEnum("upload_status", uploadStatuses);

export const datanets = pgTable(
  "datanets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    summary: text("summary").notNull().default(""),
    /** Markdown. */
    description: text("description").notNull().default(""),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    /** An SPDX id (CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0) or "custom" with licenseText. */
    license: text("license").notNull().default("CC-BY-4.0"),
    licenseText: text("license_text"),
    visibility: datanetVisibility("visibility").notNull().default("private"),
    recordFormat: recordFormat("record_format").notNull().default("chat"),
    contributionPolicy: contributionPolicy("contribution_policy").notNull().default("approval"),
    status: datanetStatus("status").notNull().default("draft"),
    /** The wizard step a draft was left on. */
    draftStep: integer("draft_step").notNull().default(0),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("datanets_org_id_slug_key").on(t.orgId, t.slug),
    index("datanets_visibility_status_idx").on(t.visibility, t.status),
    foreignKey({ name: "datanets_org_id_fkey", columns: [t.orgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
    foreignKey({ name: "datanets_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

export const datanetUploads = pgTable(
  "datanet_uploads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    datanetId: uuid("datanet_id").notNull(),
    contributorId: uuid("contributor_id").notNull(),
    /** The org the contributor uploaded from (records keep it). */
    contributorOrgId: uuid("contributor_org_id").notNull(),
    fileName: text("file_name").notNull(),
    /** jsonl | csv | txt | md | pdf */
    kind: text("kind").notNull(),
    blobKey: text("blob_key").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull().default(0),
    sha256: text("sha256"),
    /** What was detected on upload: JSONL shape, CSV headers (server/datanets/uploads.ts). */
    detected: jsonb("detected").notNull().default({}),
    /** The shape or CSV column mapping the user confirmed for validation and import. */
    parseOptions: jsonb("parse_options"),
    status: uploadStatus("status").notNull().default("uploaded"),
    validRows: integer("valid_rows").notNull().default(0),
    errorRows: integer("error_rows").notNull().default(0),
    duplicateRows: integer("duplicate_rows").notNull().default(0),
    /** JSONL of every problem (line, field, message); the first 100 are also in `issues`. */
    reportBlobKey: text("report_blob_key"),
    issues: jsonb("issues").notNull().default([]),
    /** Why the last validation or import run failed, worded for the contributor. */
    error: text("error"),
    /** The background run in progress (validating/importing); every write of the run is conditional on it. */
    runId: uuid("run_id"),
    runStartedAt: timestamp("run_started_at", { withTimezone: true }),
    /** Bytes of the file the run has read (of `sizeBytes`), and rows parsed. */
    processedBytes: bigint("processed_bytes", { mode: "number" }).notNull().default(0),
    processedRows: integer("processed_rows").notNull().default(0),
    /** Heartbeat of the run, written about once a second: a stale one means the server stopped mid-run. */
    progressAt: timestamp("progress_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("datanet_uploads_datanet_id_idx").on(t.datanetId),
    foreignKey({ name: "datanet_uploads_datanet_id_fkey", columns: [t.datanetId], foreignColumns: [datanets.id] }).onDelete("cascade"),
    foreignKey({ name: "datanet_uploads_contributor_id_fkey", columns: [t.contributorId], foreignColumns: [users.id] }).onDelete("cascade"),
    foreignKey({ name: "datanet_uploads_contributor_org_id_fkey", columns: [t.contributorOrgId], foreignColumns: [organizations.id] }).onDelete("cascade"),
  ],
);

/**
 * The rows an import run has parsed, waiting for the one transaction that turns them into
 * records. Parsing a large file happens outside that transaction, so the transaction stays
 * short; the rows are deleted when the run ends, and with their upload (cascade).
 */
export const datanetUploadRows = pgTable(
  "datanet_upload_rows",
  {
    uploadId: uuid("upload_id").notNull(),
    /** The run that staged the row: a run only ever reads or deletes its own. */
    runId: uuid("run_id").notNull(),
    seq: integer("seq").notNull(),
    contentHash: text("content_hash").notNull(),
    content: jsonb("content").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    tokens: integer("tokens").notNull(),
    sourceLine: integer("source_line").notNull(),
  },
  (t) => [
    primaryKey({ name: "datanet_upload_rows_pkey", columns: [t.uploadId, t.runId, t.seq] }),
    foreignKey({ name: "datanet_upload_rows_upload_id_fkey", columns: [t.uploadId], foreignColumns: [datanetUploads.id] }).onDelete("cascade"),
  ],
);

export const datanetRecords = pgTable(
  "datanet_records",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    datanetId: uuid("datanet_id").notNull(),
    uploadId: uuid("upload_id"),
    contributorId: uuid("contributor_id"),
    /** The contributor's payout wallet when the record was contributed. */
    contributorWallet: text("contributor_wallet"),
    contributorOrgId: uuid("contributor_org_id"),
    /** sha256 hex of the normalized content (server/datanets/records.ts). */
    contentHash: text("content_hash").notNull(),
    content: jsonb("content").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    tokens: integer("tokens").notNull(),
    sourceFile: text("source_file").notNull(),
    sourceLine: integer("source_line").notNull(),
    status: recordStatus("status").notNull().default("pending"),
    reviewReason: text("review_reason"),
    reviewedBy: uuid("reviewed_by"),
    reviewedAt: timestamp("reviewed_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The first contributor of a record keeps the credit: duplicates are refused here.
    uniqueIndex("datanet_records_datanet_id_content_hash_key").on(t.datanetId, t.contentHash),
    index("datanet_records_datanet_id_status_idx").on(t.datanetId, t.status),
    index("datanet_records_contributor_id_idx").on(t.contributorId),
    foreignKey({ name: "datanet_records_datanet_id_fkey", columns: [t.datanetId], foreignColumns: [datanets.id] }).onDelete("cascade"),
    foreignKey({ name: "datanet_records_upload_id_fkey", columns: [t.uploadId], foreignColumns: [datanetUploads.id] }).onDelete("set null"),
    foreignKey({ name: "datanet_records_contributor_id_fkey", columns: [t.contributorId], foreignColumns: [users.id] }).onDelete("set null"),
    foreignKey({ name: "datanet_records_contributor_org_id_fkey", columns: [t.contributorOrgId], foreignColumns: [organizations.id] }).onDelete("set null"),
    foreignKey({ name: "datanet_records_reviewed_by_fkey", columns: [t.reviewedBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

export const datanetVersions = pgTable(
  "datanet_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    datanetId: uuid("datanet_id").notNull(),
    number: integer("number").notNull(),
    snapshotBlobKey: text("snapshot_blob_key").notNull(),
    manifestBlobKey: text("manifest_blob_key").notNull(),
    /** 0x-prefixed keccak Merkle root over the record content hashes (server/datanets/merkle.ts). */
    merkleRoot: text("merkle_root").notNull(),
    recordCount: integer("record_count").notNull(),
    contributorCount: integer("contributor_count").notNull(),
    tokenCount: bigint("token_count", { mode: "number" }).notNull(),
    recordsAdded: integer("records_added").notNull(),
    recordsRemoved: integer("records_removed").notNull(),
    contributorsAdded: integer("contributors_added").notNull(),
    contributorsRemoved: integer("contributors_removed").notNull(),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("datanet_versions_datanet_id_number_key").on(t.datanetId, t.number),
    foreignKey({ name: "datanet_versions_datanet_id_fkey", columns: [t.datanetId], foreignColumns: [datanets.id] }).onDelete("cascade"),
    foreignKey({ name: "datanet_versions_created_by_fkey", columns: [t.createdBy], foreignColumns: [users.id] }).onDelete("set null"),
  ],
);

/** Which records a version froze; rows are never updated or deleted while the version exists. */
export const datanetVersionRecords = pgTable(
  "datanet_version_records",
  {
    versionId: uuid("version_id").notNull(),
    recordId: uuid("record_id").notNull(),
    contributorId: uuid("contributor_id"),
  },
  (t) => [
    primaryKey({ name: "datanet_version_records_pkey", columns: [t.versionId, t.recordId] }),
    foreignKey({ name: "datanet_version_records_version_id_fkey", columns: [t.versionId], foreignColumns: [datanetVersions.id] }).onDelete("cascade"),
    foreignKey({ name: "datanet_version_records_record_id_fkey", columns: [t.recordId], foreignColumns: [datanetRecords.id] }).onDelete("restrict"),
  ],
);

export type RecordFormat = (typeof recordFormats)[number];
export type RecordStatus = (typeof recordStatus.enumValues)[number];
