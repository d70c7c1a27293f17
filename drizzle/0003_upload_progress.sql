ALTER TYPE "public"."upload_status" ADD VALUE 'validating' BEFORE 'validated';--> statement-breakpoint
ALTER TYPE "public"."upload_status" ADD VALUE 'importing' BEFORE 'imported';--> statement-breakpoint
CREATE TABLE "datanet_upload_rows" (
	"upload_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"content_hash" text NOT NULL,
	"content" jsonb NOT NULL,
	"size_bytes" integer NOT NULL,
	"tokens" integer NOT NULL,
	"source_line" integer NOT NULL,
	CONSTRAINT "datanet_upload_rows_pkey" PRIMARY KEY("upload_id","run_id","seq")
);
--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD COLUMN "run_id" uuid;--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD COLUMN "run_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD COLUMN "processed_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD COLUMN "processed_rows" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "datanet_uploads" ADD COLUMN "progress_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "datanet_upload_rows" ADD CONSTRAINT "datanet_upload_rows_upload_id_fkey" FOREIGN KEY ("upload_id") REFERENCES "public"."datanet_uploads"("id") ON DELETE cascade ON UPDATE no action;