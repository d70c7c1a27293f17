CREATE TABLE "chain_outbox_dependencies" (
	"outbox_id" uuid NOT NULL,
	"depends_on" uuid NOT NULL,
	CONSTRAINT "chain_outbox_dependencies_pkey" PRIMARY KEY("outbox_id","depends_on")
);
--> statement-breakpoint
ALTER TABLE "chain_outbox" DROP CONSTRAINT "chain_outbox_depends_on_fkey";
--> statement-breakpoint
ALTER TABLE "chain_outbox_dependencies" ADD CONSTRAINT "chain_outbox_dependencies_outbox_id_fkey" FOREIGN KEY ("outbox_id") REFERENCES "public"."chain_outbox"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chain_outbox_dependencies" ADD CONSTRAINT "chain_outbox_dependencies_depends_on_fkey" FOREIGN KEY ("depends_on") REFERENCES "public"."chain_outbox"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chain_outbox_dependencies_depends_on_idx" ON "chain_outbox_dependencies" USING btree ("depends_on");--> statement-breakpoint
-- Added by hand: the single dependencies recorded so far move to the new table.
INSERT INTO "chain_outbox_dependencies" ("outbox_id", "depends_on") SELECT "id", "depends_on" FROM "chain_outbox" WHERE "depends_on" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "chain_outbox" DROP COLUMN "depends_on";