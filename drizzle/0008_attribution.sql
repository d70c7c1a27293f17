CREATE TYPE "public"."attribution_index_status" AS ENUM('pending', 'building', 'ready', 'failed');--> statement-breakpoint
CREATE TYPE "public"."attribution_method" AS ENUM('spans', 'fallback');--> statement-breakpoint
CREATE TYPE "public"."attribution_request_status" AS ENUM('pending', 'failed');--> statement-breakpoint
CREATE TABLE "attribution_epoch_shares" (
	"epoch" integer NOT NULL,
	"contributor_key" text NOT NULL,
	"wallet" text,
	"contributor_id" uuid,
	"amount" numeric(78, 0) NOT NULL,
	CONSTRAINT "attribution_epoch_shares_pkey" PRIMARY KEY("epoch","contributor_key")
);
--> statement-breakpoint
CREATE TABLE "attribution_epochs" (
	"epoch" integer PRIMARY KEY NOT NULL,
	"total" numeric(78, 0) NOT NULL,
	"without_wallet" numeric(78, 0) NOT NULL,
	"share_count" integer NOT NULL,
	"inference_count" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attribution_indexes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fine_tune_id" uuid NOT NULL,
	"org_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"status" "attribution_index_status" DEFAULT 'pending' NOT NULL,
	"index_hash" text,
	"blob_prefix" text,
	"snapshots" jsonb,
	"record_count" integer,
	"text_bytes" integer,
	"build_ms" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"ready_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attribution_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"inference_id" text NOT NULL,
	"org_id" uuid NOT NULL,
	"fine_tune_id" uuid NOT NULL,
	"deployment_id" uuid,
	"key_id" uuid,
	"output" text NOT NULL,
	"prompt_tokens" integer NOT NULL,
	"completion_tokens" integer NOT NULL,
	"inferred_at" timestamp with time zone NOT NULL,
	"status" "attribution_request_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"not_before" timestamp with time zone DEFAULT now() NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inference_attribution_shares" (
	"attribution_id" uuid NOT NULL,
	"contributor_key" text NOT NULL,
	"contributor_id" uuid,
	"contributor_wallet" text,
	"weight" double precision NOT NULL,
	"share" double precision NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	CONSTRAINT "inference_attribution_shares_pkey" PRIMARY KEY("attribution_id","contributor_key")
);
--> statement-breakpoint
CREATE TABLE "inference_attributions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"inference_id" text NOT NULL,
	"org_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"fine_tune_id" uuid NOT NULL,
	"deployment_id" uuid,
	"key_id" uuid,
	"index_id" uuid NOT NULL,
	"index_hash" text NOT NULL,
	"epoch" integer NOT NULL,
	"method" "attribution_method" NOT NULL,
	"min_words" integer NOT NULL,
	"output_sha256" text NOT NULL,
	"fee_amount" numeric(78, 0) NOT NULL,
	"spans" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attribution_epoch_shares" ADD CONSTRAINT "attribution_epoch_shares_epoch_fkey" FOREIGN KEY ("epoch") REFERENCES "public"."attribution_epochs"("epoch") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_indexes" ADD CONSTRAINT "attribution_indexes_fine_tune_id_fkey" FOREIGN KEY ("fine_tune_id") REFERENCES "public"."fine_tunes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_indexes" ADD CONSTRAINT "attribution_indexes_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_indexes" ADD CONSTRAINT "attribution_indexes_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_requests" ADD CONSTRAINT "attribution_requests_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_requests" ADD CONSTRAINT "attribution_requests_fine_tune_id_fkey" FOREIGN KEY ("fine_tune_id") REFERENCES "public"."fine_tunes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_attribution_shares" ADD CONSTRAINT "inference_attribution_shares_attribution_id_fkey" FOREIGN KEY ("attribution_id") REFERENCES "public"."inference_attributions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD CONSTRAINT "inference_attributions_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD CONSTRAINT "inference_attributions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD CONSTRAINT "inference_attributions_fine_tune_id_fkey" FOREIGN KEY ("fine_tune_id") REFERENCES "public"."fine_tunes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD CONSTRAINT "inference_attributions_index_id_fkey" FOREIGN KEY ("index_id") REFERENCES "public"."attribution_indexes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD CONSTRAINT "inference_attributions_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD CONSTRAINT "inference_attributions_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attribution_epoch_shares_wallet_idx" ON "attribution_epoch_shares" USING btree ("wallet");--> statement-breakpoint
CREATE INDEX "attribution_epoch_shares_contributor_id_idx" ON "attribution_epoch_shares" USING btree ("contributor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "attribution_indexes_fine_tune_id_key" ON "attribution_indexes" USING btree ("fine_tune_id");--> statement-breakpoint
CREATE INDEX "attribution_indexes_status_idx" ON "attribution_indexes" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "attribution_requests_inference_id_key" ON "attribution_requests" USING btree ("inference_id");--> statement-breakpoint
CREATE INDEX "attribution_requests_status_not_before_idx" ON "attribution_requests" USING btree ("status","not_before");--> statement-breakpoint
CREATE INDEX "inference_attribution_shares_contributor_wallet_idx" ON "inference_attribution_shares" USING btree ("contributor_wallet");--> statement-breakpoint
CREATE INDEX "inference_attribution_shares_contributor_id_idx" ON "inference_attribution_shares" USING btree ("contributor_id");--> statement-breakpoint
CREATE UNIQUE INDEX "inference_attributions_inference_id_key" ON "inference_attributions" USING btree ("inference_id");--> statement-breakpoint
CREATE INDEX "inference_attributions_model_id_epoch_idx" ON "inference_attributions" USING btree ("model_id","epoch");--> statement-breakpoint
CREATE INDEX "inference_attributions_epoch_idx" ON "inference_attributions" USING btree ("epoch");