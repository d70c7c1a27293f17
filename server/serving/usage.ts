// Usage metering: every gateway request adds to its key's row for (deployment, UTC day), and the
// API keys page charts those rows. Many events can be written in one statement, so a gateway
// that buffers them pays one database round trip per batch, not per request.
import { and, eq, gte, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "@/server/db/connect";
import { apiKeys, apiUsageDaily } from "@/server/db/schema/api-keys";

export interface UsageEvent {
  keyId: string;
  deploymentId: string;
  promptTokens: number;
  completionTokens: number;
  /** False for a request answered with an error (it still counts as a request). */
  ok: boolean;
  /** When the request was made; now if not given. Decides its UTC day. */
  at?: Date;
}

const utcDay = (at: Date) => at.toISOString().slice(0, 10);

export async function recordUsage(db: Db, event: UsageEvent) {
  await recordUsageMany(db, [event]);
}

/** Events summed per key, deployment and UTC day as they come: a gateway holds a few rows between writes, not an object per request. */
export class UsageTally {
  private rows = new Map<string, UsageRow>();

  get size() {
    return this.rows.size;
  }

  add(e: UsageEvent) {
    const day = utcDay(e.at ?? new Date());
    const id = `${e.keyId}/${e.deploymentId}/${day}`;
    let row = this.rows.get(id);
    if (!row) this.rows.set(id, (row = { keyId: e.keyId, deploymentId: e.deploymentId, day, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0 }));
    row.requests += 1;
    row.errors += e.ok ? 0 : 1;
    row.promptTokens += e.promptTokens;
    row.completionTokens += e.completionTokens;
  }

  /** The rows so far; the tally starts again empty. */
  take(): UsageRow[] {
    const rows = [...this.rows.values()];
    this.rows = new Map();
    return rows;
  }
}

type UsageRow = UsageDay & { keyId: string; deploymentId: string };

/** Adds events to the daily rollup (summed per key, deployment and day first). */
export async function recordUsageMany(db: Db, events: UsageEvent[]) {
  const tally = new UsageTally();
  for (const e of events) tally.add(e);
  await recordUsageRows(db, tally.take());
}

/** Adds a tally's rows to the daily rollup in one statement. */
export async function recordUsageRows(db: Db, rows: UsageRow[]) {
  if (rows.length === 0) return;
  const t = apiUsageDaily;
  const add = (column: PgColumn) => sql`${column} + excluded.${sql.identifier(column.name)}`;
  const values = rows.map(
    (r) => sql`(${r.keyId}::uuid, ${r.deploymentId}::uuid, ${r.day}::date, ${r.requests}::int, ${r.errors}::int, ${r.promptTokens}::bigint, ${r.completionTokens}::bigint)`,
  );
  // Columns in the table's order. Events of a key deleted meanwhile (with its org) are dropped
  // here rather than failing the foreign key, which would lose the whole batch.
  await db
    .insert(t)
    .select(
      sql`select v.* from (values ${sql.join(values, sql`, `)}) as v(key_id, deployment_id, day, requests, errors, prompt_tokens, completion_tokens)
          where exists (select 1 from ${apiKeys} where ${apiKeys.id} = v.key_id)`,
    )
    .onConflictDoUpdate({
      target: [t.keyId, t.deploymentId, t.day],
      set: {
        requests: add(t.requests),
        errors: add(t.errors),
        promptTokens: add(t.promptTokens),
        completionTokens: add(t.completionTokens),
      },
    });
}

export interface UsageDay {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
}

/** The org's usage for each of the last `days` UTC days (today last), zeros where nothing was used. */
export async function usageSeries(db: Db, orgId: string, options: { days: number; keyId?: string; deploymentId?: string }): Promise<UsageDay[]> {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const days = Array.from({ length: options.days }, (_, i) => utcDay(new Date(today - (options.days - 1 - i) * 86_400_000)));
  const t = apiUsageDaily;
  const filters: (SQL | undefined)[] = [
    eq(apiKeys.orgId, orgId),
    gte(t.day, days[0]!),
    options.keyId ? eq(t.keyId, options.keyId) : undefined,
    options.deploymentId ? eq(t.deploymentId, options.deploymentId) : undefined,
  ];
  const rows = await db
    .select({
      day: t.day,
      requests: sql<number>`sum(${t.requests})::int`,
      errors: sql<number>`sum(${t.errors})::int`,
      promptTokens: sql<number>`sum(${t.promptTokens})::float8`,
      completionTokens: sql<number>`sum(${t.completionTokens})::float8`,
    })
    .from(t)
    .innerJoin(apiKeys, eq(t.keyId, apiKeys.id))
    .where(and(...filters))
    .groupBy(t.day);
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return days.map((day) => {
    const r = byDay.get(day);
    return { day, requests: r?.requests ?? 0, errors: r?.errors ?? 0, promptTokens: r?.promptTokens ?? 0, completionTokens: r?.completionTokens ?? 0 };
  });
}
