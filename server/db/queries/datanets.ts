// Datanets: the org's own, the public directory, and one by slug. Tenant in every where.
import { and, count, desc, eq, ilike, or, sql, sum } from "drizzle-orm";
import type { Db } from "../connect";
import { datanetRecords, datanets, datanetVersions, organizations } from "../schema";

export const datanetColumns = {
  id: datanets.id,
  orgId: datanets.orgId,
  slug: datanets.slug,
  name: datanets.name,
  summary: datanets.summary,
  description: datanets.description,
  tags: datanets.tags,
  license: datanets.license,
  licenseText: datanets.licenseText,
  visibility: datanets.visibility,
  recordFormat: datanets.recordFormat,
  contributionPolicy: datanets.contributionPolicy,
  status: datanets.status,
  draftStep: datanets.draftStep,
  createdAt: datanets.createdAt,
  updatedAt: datanets.updatedAt,
};


export async function findDatanet(db: Db, orgId: string, slug: string) {
  const [row] = await db
    .select(datanetColumns)
    .from(datanets)
    .where(and(eq(datanets.orgId, orgId), eq(datanets.slug, slug)));
  return row ?? null;
}

export async function findDatanetById(db: Db, id: string) {
  const [row] = await db
    .select({ ...datanetColumns, orgSlug: organizations.slug, orgName: organizations.name })
    .from(datanets)
    .innerJoin(organizations, eq(datanets.orgId, organizations.id))
    .where(eq(datanets.id, id));
  return row ?? null;
}

export async function isDatanetSlugTaken(db: Db, orgId: string, slug: string): Promise<boolean> {
  const [row] = await db.select({ id: datanets.id }).from(datanets).where(and(eq(datanets.orgId, orgId), eq(datanets.slug, slug)));
  return Boolean(row);
}

export async function insertDatanet(db: Db, values: typeof datanets.$inferInsert) {
  const [row] = await db.insert(datanets).values(values).returning(datanetColumns);
  if (!row) throw new Error("datanet insert returned no row");
  return row;
}

export async function updateDatanet(db: Db, orgId: string, id: string, patch: Partial<typeof datanets.$inferInsert>) {
  const [row] = await db
    .update(datanets)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(datanets.id, id), eq(datanets.orgId, orgId)))
    .returning(datanetColumns);
  return row ?? null;
}

export async function deleteDatanet(db: Db, orgId: string, id: string): Promise<void> {
  await db.delete(datanets).where(and(eq(datanets.id, id), eq(datanets.orgId, orgId)));
}

/** Accepted records, tokens and contributors of each datanet; versions published. */
const statsColumns = {
  records: sql<number>`(select count(*)::int from ${datanetRecords} r where r.datanet_id = ${datanets}.id and r.status = 'accepted')`,
  pending: sql<number>`(select count(*)::int from ${datanetRecords} r where r.datanet_id = ${datanets}.id and r.status = 'pending')`,
  tokens: sql<number>`(select coalesce(sum(r.tokens), 0)::bigint from ${datanetRecords} r where r.datanet_id = ${datanets}.id and r.status = 'accepted')`.mapWith(Number),
  contributors: sql<number>`(select count(distinct r.contributor_id)::int from ${datanetRecords} r where r.datanet_id = ${datanets}.id and r.status = 'accepted')`,
  versions: sql<number>`(select count(*)::int from ${datanetVersions} v where v.datanet_id = ${datanets}.id)`,
};

export async function listOrgDatanets(db: Db, orgId: string) {
  return db
    .select({ ...datanetColumns, ...statsColumns })
    .from(datanets)
    .where(eq(datanets.orgId, orgId))
    .orderBy(desc(datanets.updatedAt));
}

/** Public, active datanets of every org, optionally matching a search in name, summary or tags. */
export async function listPublicDatanets(db: Db, params: { search?: string; limit: number; offset: number }) {
  const search = params.search?.trim();
  const where = and(
    eq(datanets.visibility, "public"),
    eq(datanets.status, "active"),
    search
      ? or(ilike(datanets.name, `%${search}%`), ilike(datanets.summary, `%${search}%`), sql`${search.toLowerCase()} = any(${datanets.tags})`)
      : undefined,
  );
  const [rows, [total]] = await Promise.all([
    db
      .select({ ...datanetColumns, ...statsColumns, orgSlug: organizations.slug, orgName: organizations.name })
      .from(datanets)
      .innerJoin(organizations, eq(datanets.orgId, organizations.id))
      .where(where)
      .orderBy(desc(datanets.updatedAt))
      .limit(params.limit)
      .offset(params.offset),
    db.select({ n: count() }).from(datanets).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export async function datanetStats(db: Db, datanetId: string) {
  const [row] = await db
    .select({ records: count(), tokens: sum(datanetRecords.tokens).mapWith(Number), contributors: sql<number>`count(distinct ${datanetRecords.contributorId})::int` })
    .from(datanetRecords)
    .where(and(eq(datanetRecords.datanetId, datanetId), eq(datanetRecords.status, "accepted")));
  return { records: row?.records ?? 0, tokens: row?.tokens ?? 0, contributors: row?.contributors ?? 0 };
}
