CREATE TYPE "public"."contribution_policy" AS ENUM('approval', 'auto_org');--> statement-breakpoint
CREATE TYPE "public"."datanet_status" AS ENUM('draft', 'active');--> statement-breakpoint
CREATE TYPE "public"."datanet_visibility" AS ENUM('public', 'private');--> statement-breakpoint
CREATE TYPE "public"."record_format" AS ENUM('chat', 'instruction', 'text');--> statement-breakpoint
CREATE TYPE "public"."record_status" AS ENUM('pending', 'accepted', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."upload_status" AS ENUM('uploaded', 'validated', 'imported');--> statement-breakpoint
CREATE TABLE "datanet_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"datanet_id" uuid NOT NULL,
	"upload_id" uuid,
	"contributor_id" uuid,
	"contributor_wallet" text,
	"contributor_org_id" uuid,
	"content_hash" text NOT NULL,
	"content" jsonb NOT NULL,
	"size_bytes" integer NOT NULL,
	"tokens" integer NOT NULL,
	"source_file" text NOT NULL,
	"source_line" integer NOT NULL,
	"status" "record_status" DEFAULT 'pending' NOT NULL,
	"review_reason" text,
	"reviewed_by" uuid,
	"reviewed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datanet_uploads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"datanet_id" uuid NOT NULL,
	"contributor_id" uuid NOT NULL,
	"contributor_org_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"kind" text NOT NULL,
	"blob_key" text NOT NULL,
	"size_bytes" bigint DEFAULT 0 NOT NULL,
	"sha256" text,
	"detected" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"parse_options" jsonb,
	"status" "upload_status" DEFAULT 'uploaded' NOT NULL,
	"valid_rows" integer DEFAULT 0 NOT NULL,
	"error_rows" integer DEFAULT 0 NOT NULL,
	"duplicate_rows" integer DEFAULT 0 NOT NULL,
	"report_blob_key" text,
	"issues" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datanet_version_records" (
	"version_id" uuid NOT NULL,
	"record_id" uuid NOT NULL,
	"contributor_id" uuid,
	CONSTRAINT "datanet_version_records_pkey" PRIMARY KEY("version_id","record_id")
);
--> statement-breakpoint
CREATE TABLE "datanet_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"datanet_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"snapshot_blob_key" text NOT NULL,
	"manifest_blob_key" text NOT NULL,
	"merkle_root" text NOT NULL,
	"record_count" integer NOT NULL,
	"contributor_count" integer NOT NULL,
	"token_count" bigint NOT NULL,
	"records_added" integer NOT NULL,
	"records_removed" integer NOT NULL,
	"contributors_added" integer NOT NULL,
	"contributors_removed" integer NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datanets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"license" text DEFAULT 'CC-BY-4.0' NOT NULL,
	"license_text" text,
	"visibility" "datanet_visibility" DEFAULT 'private' NOT NULL,
	"record_format" "record_format" DEFAULT 'chat' NOT NULL,
	"contribution_policy" "contribution_policy" DEFAULT 'approval' NOT NULL,
	"status" "datanet_status" DEFAULT 'draft' NOT NULL,
	"draft_step" integer DEFAULT 0 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "datanet_records" ADD CONSTRAINT "datanet_records_datanet_id_fkey" FOREIGN KEY ("datanet_id") REFERENCES "public"."datanets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_records" ADD CONSTRAINT "datanet_records_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "public"."datanet_uploads"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_records" ADD CONSTRAINT "datanet_records_contributor_id_fkey" FOREIGN KEY ("contributor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_records" ADD CONSTRAINT "datanet_records_contributor_org_id_fkey" FOREIGN KEY ("contributor_org_id") REFERENCES "public"."organizations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_records" ADD CONSTRAINT "datanet_records_reviewed_by_fkey" FOREIGN KEY ("reviewed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD CONSTRAINT "datanet_uploads_datanet_id_fkey" FOREIGN KEY ("datanet_id") REFERENCES "public"."datanets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD CONSTRAINT "datanet_uploads_contributor_id_fkey" FOREIGN KEY ("contributor_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD CONSTRAINT "datanet_uploads_contributor_org_id_fkey" FOREIGN KEY ("contributor_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_version_records" ADD CONSTRAINT "datanet_version_records_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "public"."datanet_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_version_records" ADD CONSTRAINT "datanet_version_records_record_id_fkey" FOREIGN KEY ("record_id") REFERENCES "public"."datanet_records"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_versions" ADD CONSTRAINT "datanet_versions_datanet_id_fkey" FOREIGN KEY ("datanet_id") REFERENCES "public"."datanets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanet_versions" ADD CONSTRAINT "datanet_versions_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanets" ADD CONSTRAINT "datanets_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datanets" ADD CONSTRAINT "datanets_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "datanet_records_datanet_id_content_hash_key" ON "datanet_records" USING btree ("datanet_id","content_hash");--> statement-breakpoint
CREATE INDEX "datanet_records_datanet_id_status_idx" ON "datanet_records" USING btree ("datanet_id","status");--> statement-breakpoint
CREATE INDEX "datanet_records_contributor_id_idx" ON "datanet_records" USING btree ("contributor_id");--> statement-breakpoint
CREATE INDEX "datanet_uploads_datanet_id_idx" ON "datanet_uploads" USING btree ("datanet_id");--> statement-breakpoint
CREATE UNIQUE INDEX "datanet_versions_datanet_id_number_key" ON "datanet_versions" USING btree ("datanet_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "datanets_org_id_slug_key" ON "datanets" USING btree ("org_id","slug");--> statement-breakpoint
CREATE INDEX "datanets_visibility_status_idx" ON "datanets" USING btree ("visibility","status");