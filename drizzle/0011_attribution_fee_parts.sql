ALTER TABLE "attribution_requests" ADD COLUMN "platform_bps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "attribution_requests" ADD COLUMN "owner_bps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "attribution_requests" ADD COLUMN "contributors_bps" integer DEFAULT 10000 NOT NULL;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD COLUMN "owner_amount" numeric(78, 0) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "inference_attributions" ADD COLUMN "platform_amount" numeric(78, 0) DEFAULT '0' NOT NULL;