// Worker tokens (created on the Workers page, stored hashed, shown once) and the workers
// that register with them. A token without an org belongs to the platform and serves every org.
import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { Db } from "@/server/db/connect";
import { lastUsedIsStale } from "@/server/db/queries/last-used";
import { jobs, workers, workerTokens } from "@/server/db/schema";
import type { BlobStore } from "@/server/storage/types";
import { hostedModelIds } from "./hosted-models";
import { capabilitiesSchema, type Capabilities } from "./protocol";

const TOKEN_PREFIX = "trw_";
/** A worker not heard from for this long is shown as offline and its models as unavailable. */
export const ONLINE_SECONDS = 90;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createWorkerToken(db: Db, input: { orgId: string | null; name: string; createdBy: string | null }) {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString("base64url")}`;
  const [row] = await db
    .insert(workerTokens)
    .values({ orgId: input.orgId, name: input.name, prefix: token.slice(0, 10), tokenHash: hashToken(token), createdBy: input.createdBy })
    .returning({ id: workerTokens.id, name: workerTokens.name, prefix: workerTokens.prefix, createdAt: workerTokens.createdAt });
  if (!row) throw new Error("worker token insert returned no row");
  return { ...row, token };
}

export async function listWorkerTokens(db: Db, orgId: string) {
  return db
    .select({ id: workerTokens.id, name: workerTokens.name, prefix: workerTokens.prefix, createdAt: workerTokens.createdAt, lastUsedAt: workerTokens.lastUsedAt })
    .from(workerTokens)
    .where(and(eq(workerTokens.orgId, orgId), isNull(workerTokens.revokedAt)))
    .orderBy(desc(workerTokens.createdAt));
}

/** Revoked tokens stop working on the worker's next request. */
export async function revokeWorkerToken(db: Db, orgId: string, tokenId: string) {
  const [row] = await db
    .update(workerTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(workerTokens.id, tokenId), eq(workerTokens.orgId, orgId), isNull(workerTokens.revokedAt)))
    .returning({ id: workerTokens.id });
  return row ?? null;
}

export interface WorkerToken {
  id: string;
  orgId: string | null;
}

/** The live token for an `Authorization: Bearer` value, or null. */
export async function authenticateWorkerToken(db: Db, bearer: string): Promise<WorkerToken | null> {
  if (!bearer.startsWith(TOKEN_PREFIX) || bearer.length > 200) return null;
  const [row] = await db
    .select({ id: workerTokens.id, orgId: workerTokens.orgId, stale: lastUsedIsStale(workerTokens.lastUsedAt) })
    .from(workerTokens)
    .where(and(eq(workerTokens.tokenHash, hashToken(bearer)), isNull(workerTokens.revokedAt)));
  if (!row) return null;
  if (row.stale) await db.update(workerTokens).set({ lastUsedAt: sql`now()` }).where(eq(workerTokens.id, row.id));
  return { id: row.id, orgId: row.orgId };
}

export async function registerWorker(db: Db, token: WorkerToken, input: { name: string; version: string; capabilities: Capabilities }) {
  const [row] = await db
    .insert(workers)
    .values({ tokenId: token.id, name: input.name, version: input.version, capabilities: input.capabilities })
    .returning({ id: workers.id });
  if (!row) throw new Error("worker insert returned no row");
  return row;
}

/** The worker registered with this token, marked as seen now; null if it is not this token's. */
export async function touchWorker(db: Db, token: WorkerToken, workerId: string) {
  const [row] = await db
    .update(workers)
    .set({ lastSeenAt: sql`now()` })
    .where(and(eq(workers.id, workerId), eq(workers.tokenId, token.id)))
    .returning({ id: workers.id, capabilities: workers.capabilities });
  return row ? { id: row.id, orgId: token.orgId, capabilities: capabilitiesSchema.parse(row.capabilities) } : null;
}

/** Tokens whose workers may run this org's jobs: its own and the platform's. */
const servesOrg = (orgId: string) => or(eq(workerTokens.orgId, orgId), isNull(workerTokens.orgId));

/** Workers seen in the last day that can run this org's jobs, newest first, with what they run now. */
export async function listWorkers(db: Db, orgId: string) {
  const rows = await db
    .select({
      id: workers.id,
      name: workers.name,
      version: workers.version,
      capabilities: workers.capabilities,
      registeredAt: workers.registeredAt,
      lastSeenAt: workers.lastSeenAt,
      tokenName: workerTokens.name,
      platform: sql<boolean>`${workerTokens.orgId} is null`,
      online: sql<boolean>`${workers.lastSeenAt} > now() - make_interval(secs => ${ONLINE_SECONDS})`,
    })
    .from(workers)
    .innerJoin(workerTokens, eq(workers.tokenId, workerTokens.id))
    .where(and(servesOrg(orgId), isNull(workerTokens.revokedAt), gt(workers.lastSeenAt, sql`now() - interval '1 day'`)))
    .orderBy(desc(workers.lastSeenAt))
    .limit(200);
  const running = rows.length
    ? await db
        .select({ workerId: jobs.leaseWorkerId, jobId: jobs.id, kind: jobs.kind, orgId: jobs.orgId })
        .from(jobs)
        .where(and(eq(jobs.status, "running"), inArray(jobs.leaseWorkerId, rows.map((r) => r.id))))
    : [];
  return rows.map((r) => {
    const job = running.find((j) => j.workerId === r.id);
    // Another org's job on a shared worker is shown as busy, without its id.
    return { ...r, capabilities: capabilitiesSchema.parse(r.capabilities), busy: Boolean(job), jobId: job && job.orgId === orgId ? job.jobId : null };
  });
}

/** Base models that an online worker serving this org can load now (hosted ones if a worker downloads them). */
export async function availableModels(db: Db, store: BlobStore, orgId: string): Promise<Set<string>> {
  const rows = await db
    .select({ capabilities: workers.capabilities })
    .from(workers)
    .innerJoin(workerTokens, eq(workers.tokenId, workerTokens.id))
    .where(and(servesOrg(orgId), isNull(workerTokens.revokedAt), gt(workers.lastSeenAt, sql`now() - make_interval(secs => ${ONLINE_SECONDS})`)));
  const online = rows.map((r) => capabilitiesSchema.parse(r.capabilities));
  const hosted = online.some((c) => c.hostedModels) ? await hostedModelIds(store) : [];
  return new Set([...online.flatMap((c) => c.models), ...hosted]);
}

/** For /api/health: workers online now across all orgs, and when any worker was last seen. */
export async function workerPoolStatus(db: Db) {
  const [row] = await db
    .select({
      online: sql<number>`count(*) filter (where ${workers.lastSeenAt} > now() - make_interval(secs => ${ONLINE_SECONDS}))::int`,
      lastSeenAt: sql<string | null>`max(${workers.lastSeenAt})`,
    })
    .from(workers);
  return { online: row?.online ?? 0, lastSeenAt: row?.lastSeenAt ? new Date(row.lastSeenAt) : null };
}
