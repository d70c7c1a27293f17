// Applies the committed drizzle/ migrations to the configured database.
import path from "node:path";
import { openDatabase } from "../server/db/connect";
import { env } from "../server/env";

export async function migrateConfiguredDatabase(): Promise<void> {
  const database = openDatabase({ url: env.DATABASE_URL, dataDir: path.join(env.DATA_DIR, "pglite") });
  const started = Date.now();
  try {
    await database.migrate();
    console.log(`database: migrated (${database.kind}) in ${Date.now() - started} ms`);
  } finally {
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  migrateConfiguredDatabase().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
