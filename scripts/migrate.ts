// Applies the committed drizzle/ migrations to the configured database.
import path from "node:path";

export async function migrateConfiguredDatabase(): Promise<void> {
  // Imported here so a bad setting surfaces as the caller's clean error, not an import-time stack.
  const { env } = await import("../server/env");
  const { openDatabase } = await import("../server/db/connect");
  const database = openDatabase({ url: env.DATABASE_URL, dataDir: path.join(env.DATA_DIR, "pglite") });
  const started = Date.now();
  try {
    await database.migrate();
    console.log(`database: migrated (${database.kind}) in ${Date.now() - started} ms`);
  } finally {
    await database.close();
  }
}

/** The message and the chain of causes (drivers wrap the useful part in `cause`). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join("\n  caused by: ");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  migrateConfiguredDatabase().catch((error: unknown) => {
    console.error(describeError(error));
    process.exit(1);
  });
}
