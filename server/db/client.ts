// The app's database handle: Postgres when DATABASE_URL is set, else PGlite in DATA_DIR.
// Opened on first use (never at build time) and kept on globalThis so dev reloads and
// route bundles share one PGlite instance: two on one data folder would corrupt it.
import "server-only";
import path from "node:path";
import { env } from "@/server/env";
import { openDatabase, type Database, type Db } from "./connect";

const globalForDb = globalThis as unknown as { tributaryDb?: Database };

export function getDb(): Db {
  globalForDb.tributaryDb ??= openDatabase({ url: env.DATABASE_URL, dataDir: path.join(env.DATA_DIR, "pglite") });
  return globalForDb.tributaryDb.db;
}
