// A fresh, migrated database per test file: in-memory PGlite, or (TEST_DB=postgres)
// a throwaway database on the server named by TEST_DATABASE_URL, dropped on close.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { openDatabase, type Db } from "@/server/db/connect";

export interface TestDatabase {
  db: Db;
  kind: "pglite" | "postgres";
  /** The Postgres URL of this test database; null on PGlite. */
  url: string | null;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.TEST_DB === "postgres") return createPostgresDatabase();
  const database = openDatabase({ dataDir: null });
  await database.migrate();
  return { db: database.db, kind: "pglite", url: null, close: () => database.close() };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    throw new Error(
      "TEST_DB=postgres needs TEST_DATABASE_URL, a URL of a role allowed to create databases, " +
        "e.g. postgres://tributary:tributary@127.0.0.1:5432/postgres. Or run `npx vitest run --project pglite`.",
    );
  }
  const name = `tributary_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end({ timeout: 5 });
    throw error;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = openDatabase({ url: url.toString() });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
    throw error;
  }
  return {
    db: database.db,
    kind: "postgres",
    url: url.toString(),
    async close() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
