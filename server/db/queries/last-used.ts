// "Last used" times of secrets (worker tokens, API keys) are shown to the minute, so a secret
// used on every request needs one write a minute, not one per request: its lookup selects
// this flag and the caller writes the time only when the flag is true.
import { sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/** True when `column` (a last-used timestamp) is null or more than a minute old. */
export const lastUsedIsStale = (column: PgColumn) => sql<boolean>`coalesce(${column} < now() - interval '1 minute', true)`;
