CREATE TYPE "public"."deployment_status" AS ENUM('pending', 'loading', 'ready', 'failed', 'stopped');--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"model_id" uuid NOT NULL,
	"fine_tune_id" uuid NOT NULL,
	"base_model" text NOT NULL,
	"status" "deployment_status" DEFAULT 'pending' NOT NULL,
	"status_message" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ready_at" timestamp with time zone,
	"stopped_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_fine_tune_id_fkey" FOREIGN KEY ("fine_tune_id") REFERENCES "public"."fine_tunes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "deployments_org_id_name_key" ON "deployments" USING btree ("org_id","name");--> statement-breakpoint
CREATE INDEX "deployments_fine_tune_id_idx" ON "deployments" USING btree ("fine_tune_id");--> statement-breakpoint
CREATE INDEX "deployments_org_id_created_at_idx" ON "deployments" USING btree ("org_id","created_at");