-- Added by hand: epoch roll-ups become per model version; the roll-ups made so far (all derived
-- from inference_attributions, nothing committed from them yet) go, and are rolled up again.
DELETE FROM "attribution_epoch_shares";--> statement-breakpoint
DELETE FROM "attribution_epochs";--> statement-breakpoint
CREATE TABLE "attribution_epoch_models" (
	"epoch" integer NOT NULL,
	"fine_tune_id" uuid NOT NULL,
	"org_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"inference_count" integer NOT NULL,
	"contributors_amount" numeric(78, 0) NOT NULL,
	"owner_amount" numeric(78, 0) NOT NULL,
	"owner_wallet" text,
	"platform_amount" numeric(78, 0) NOT NULL,
	"root" text,
	"total" numeric(78, 0) NOT NULL,
	"chain_id" integer,
	"rewards_address" text,
	"commit_key" text,
	"fund_key" text,
	"queued_at" timestamp with time zone,
	CONSTRAINT "attribution_epoch_models_pkey" PRIMARY KEY("epoch","fine_tune_id")
);
--> statement-breakpoint
ALTER TABLE "attribution_epoch_shares" DROP CONSTRAINT "attribution_epoch_shares_epoch_fkey";
--> statement-breakpoint
ALTER TABLE "fine_tunes" ADD COLUMN "adapter_sha256" text;--> statement-breakpoint
ALTER TABLE "attribution_epoch_shares" ADD COLUMN "fine_tune_id" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "attribution_epoch_shares" ADD COLUMN "proof" jsonb;--> statement-breakpoint
ALTER TABLE "attribution_epoch_models" ADD CONSTRAINT "attribution_epoch_models_epoch_fkey" FOREIGN KEY ("epoch") REFERENCES "public"."attribution_epochs"("epoch") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_epoch_models" ADD CONSTRAINT "attribution_epoch_models_fine_tune_id_fkey" FOREIGN KEY ("fine_tune_id") REFERENCES "public"."fine_tunes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_epoch_models" ADD CONSTRAINT "attribution_epoch_models_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_epoch_models" ADD CONSTRAINT "attribution_epoch_models_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attribution_epoch_models_to_commit_idx" ON "attribution_epoch_models" USING btree ("epoch") WHERE "attribution_epoch_models"."root" is not null and "attribution_epoch_models"."queued_at" is null;--> statement-breakpoint
CREATE INDEX "attribution_epoch_models_fine_tune_id_idx" ON "attribution_epoch_models" USING btree ("fine_tune_id");--> statement-breakpoint
ALTER TABLE "attribution_epoch_shares" ADD CONSTRAINT "attribution_epoch_shares_epoch_fine_tune_id_fkey" FOREIGN KEY ("epoch","fine_tune_id") REFERENCES "public"."attribution_epoch_models"("epoch","fine_tune_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attribution_epoch_shares" DROP CONSTRAINT "attribution_epoch_shares_pkey";
--> statement-breakpoint
ALTER TABLE "attribution_epoch_shares" ADD CONSTRAINT "attribution_epoch_shares_pkey" PRIMARY KEY("epoch","fine_tune_id","contributor_key");