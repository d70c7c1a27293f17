// Raw SQL for what the query builder cannot say (recursive CTEs, unions of subqueries): the rows of
// a statement, whichever driver runs it.
import type { SQL } from "drizzle-orm";
import type { Db } from "../connect";

/** postgres-js answers an array of rows, PGlite an object holding them. */
export async function rowsOf<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
