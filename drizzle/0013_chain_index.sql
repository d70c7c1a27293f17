CREATE TYPE "public"."chain_datanet_change" AS ENUM('registered', 'updated');--> statement-breakpoint
CREATE TABLE "chain_blocks" (
	"chain_id" integer NOT NULL,
	"number" bigint NOT NULL,
	"hash" text NOT NULL,
	"parent_hash" text,
	CONSTRAINT "chain_blocks_pkey" PRIMARY KEY("chain_id","number")
);
--> statement-breakpoint
CREATE TABLE "chain_cursors" (
	"chain_id" integer NOT NULL,
	"contracts" text NOT NULL,
	"block_number" bigint NOT NULL,
	"block_hash" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chain_cursors_pkey" PRIMARY KEY("chain_id","contracts")
);
--> statement-breakpoint
CREATE TABLE "chain_datanet_registrations" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"contract" text NOT NULL,
	"change" "chain_datanet_change" NOT NULL,
	"datanet_id" text NOT NULL,
	"owner" text NOT NULL,
	"metadata_hash" text NOT NULL,
	CONSTRAINT "chain_datanet_registrations_pkey" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "chain_epoch_fundings" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"contract" text NOT NULL,
	"model_id" text NOT NULL,
	"epoch" numeric(20, 0) NOT NULL,
	"funder" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	CONSTRAINT "chain_epoch_fundings_pkey" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "chain_epochs" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"contract" text NOT NULL,
	"model_id" text NOT NULL,
	"epoch" numeric(20, 0) NOT NULL,
	"root" text NOT NULL,
	"token" text NOT NULL,
	"total" numeric(78, 0) NOT NULL,
	CONSTRAINT "chain_epochs_pkey" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "chain_events" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"block_hash" text NOT NULL,
	"address" text NOT NULL,
	"event_name" text,
	"args" jsonb NOT NULL,
	CONSTRAINT "chain_events_pkey" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "chain_model_registrations" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"contract" text NOT NULL,
	"model_id" text NOT NULL,
	"owner" text NOT NULL,
	"adapter_hash" text NOT NULL,
	"base_model" text NOT NULL,
	"datanet_versions" jsonb NOT NULL,
	CONSTRAINT "chain_model_registrations_pkey" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "chain_reward_claims" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"contract" text NOT NULL,
	"model_id" text NOT NULL,
	"epoch" numeric(20, 0) NOT NULL,
	"contributor" text NOT NULL,
	"token" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	CONSTRAINT "chain_reward_claims_pkey" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "chain_version_commits" (
	"chain_id" integer NOT NULL,
	"tx_hash" text NOT NULL,
	"log_index" integer NOT NULL,
	"block_number" bigint NOT NULL,
	"contract" text NOT NULL,
	"datanet_id" text NOT NULL,
	"version" bigint NOT NULL,
	"records_root" text NOT NULL,
	"manifest_hash" text NOT NULL,
	"record_count" numeric(20, 0) NOT NULL,
	"contributor_count" numeric(20, 0) NOT NULL,
	CONSTRAINT "chain_version_commits_pkey" PRIMARY KEY("chain_id","tx_hash","log_index")
);
--> statement-breakpoint
ALTER TABLE "chain_datanet_registrations" ADD CONSTRAINT "chain_datanet_registrations_event_fkey" FOREIGN KEY ("chain_id","tx_hash","log_index") REFERENCES "public"."chain_events"("chain_id","tx_hash","log_index") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chain_epoch_fundings" ADD CONSTRAINT "chain_epoch_fundings_event_fkey" FOREIGN KEY ("chain_id","tx_hash","log_index") REFERENCES "public"."chain_events"("chain_id","tx_hash","log_index") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chain_epochs" ADD CONSTRAINT "chain_epochs_event_fkey" FOREIGN KEY ("chain_id","tx_hash","log_index") REFERENCES "public"."chain_events"("chain_id","tx_hash","log_index") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chain_model_registrations" ADD CONSTRAINT "chain_model_registrations_event_fkey" FOREIGN KEY ("chain_id","tx_hash","log_index") REFERENCES "public"."chain_events"("chain_id","tx_hash","log_index") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chain_reward_claims" ADD CONSTRAINT "chain_reward_claims_event_fkey" FOREIGN KEY ("chain_id","tx_hash","log_index") REFERENCES "public"."chain_events"("chain_id","tx_hash","log_index") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chain_version_commits" ADD CONSTRAINT "chain_version_commits_event_fkey" FOREIGN KEY ("chain_id","tx_hash","log_index") REFERENCES "public"."chain_events"("chain_id","tx_hash","log_index") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chain_datanet_registrations_datanet_idx" ON "chain_datanet_registrations" USING btree ("chain_id","datanet_id");--> statement-breakpoint
CREATE INDEX "chain_epoch_fundings_model_idx" ON "chain_epoch_fundings" USING btree ("chain_id","model_id","epoch");--> statement-breakpoint
CREATE INDEX "chain_epochs_model_idx" ON "chain_epochs" USING btree ("chain_id","model_id","epoch");--> statement-breakpoint
CREATE INDEX "chain_events_chain_id_block_number_idx" ON "chain_events" USING btree ("chain_id","block_number");--> statement-breakpoint
CREATE INDEX "chain_model_registrations_model_idx" ON "chain_model_registrations" USING btree ("chain_id","model_id");--> statement-breakpoint
CREATE INDEX "chain_reward_claims_model_idx" ON "chain_reward_claims" USING btree ("chain_id","model_id","epoch");--> statement-breakpoint
CREATE INDEX "chain_reward_claims_contributor_idx" ON "chain_reward_claims" USING btree ("chain_id","contributor");--> statement-breakpoint
CREATE INDEX "chain_version_commits_datanet_idx" ON "chain_version_commits" USING btree ("chain_id","datanet_id","version");