CREATE TYPE "public"."chain_outbox_status" AS ENUM('pending', 'sent', 'confirmed', 'failed');--> statement-breakpoint
CREATE TABLE "chain_outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"chain_id" integer NOT NULL,
	"depends_on" uuid,
	"call" jsonb NOT NULL,
	"to" text NOT NULL,
	"data" text NOT NULL,
	"value" text DEFAULT '0' NOT NULL,
	"status" "chain_outbox_status" DEFAULT 'pending' NOT NULL,
	"from_address" text,
	"nonce" bigint,
	"tx_hash" text,
	"raw_tx" text,
	"block_number" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chain_sender_leases" (
	"chain_id" integer NOT NULL,
	"address" text NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "chain_sender_leases_pkey" PRIMARY KEY("chain_id","address")
);
--> statement-breakpoint
ALTER TABLE "chain_outbox" ADD CONSTRAINT "chain_outbox_depends_on_fkey" FOREIGN KEY ("depends_on") REFERENCES "public"."chain_outbox"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "chain_outbox_chain_id_idempotency_key_key" ON "chain_outbox" USING btree ("chain_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "chain_outbox_open_idx" ON "chain_outbox" USING btree ("chain_id","next_attempt_at") WHERE "chain_outbox"."status" in ('pending', 'sent');--> statement-breakpoint
CREATE INDEX "chain_outbox_sent_idx" ON "chain_outbox" USING btree ("chain_id","from_address","nonce") WHERE "chain_outbox"."status" = 'sent';