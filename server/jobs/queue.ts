// The Postgres-backed job queue: enqueue, lease with FOR UPDATE SKIP LOCKED, heartbeats,
// lease expiry with requeue and backoff, completion (idempotent), failure, release, cancel.
// Every time comes from the database's clock, so replicas with skewed clocks agree.
import { and, asc, desc, eq, gt, inArray, lt, lte, sql } from "drizzle-orm";
import type { Db, Tx } from "@/server/db/connect";
import { jobEvents, jobs, type Job, type JobStatus } from "@/server/db/schema";
import type { Capabilities, JobResult, MetricPoint, Progress } from "./protocol";

export interface QueuePolicy {
  /** A lease not renewed for this long expires. */
  leaseSeconds: number;
  /** First retry waits this long; each further attempt doubles it, up to retryMaxSeconds. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
}

export const defaultPolicy: QueuePolicy = { leaseSeconds: 60, retryBaseSeconds: 15, retryMaxSeconds: 600 };

/** What the job needs from a worker; stored with the job. */
export interface JobRequirements {
  baseModel: string;
  device: "any" | "cuda" | "cpu";
  minGpuMemoryGb: number;
}

export class LeaseLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LeaseLostError";
  }
}

export class JobStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobStateError";
  }
}

export interface EnqueueInput {
  orgId: string;
  kind: Job["kind"];
  payload: unknown;
  requirements: JobRequirements;
  priority?: number;
  maxAttempts?: number;
  createdBy: string | null;
  /** `validating` keeps the job out of the queue until markQueued. */
  status?: Extract<JobStatus, "validating" | "queued">;
}

type Executor = Db | Tx;

export async function addEvent(db: Executor, jobId: string, level: "info" | "warn" | "error", message: string) {
  await db.insert(jobEvents).values({ jobId, level, message });
}

export async function enqueueJob(db: Db | Tx, input: EnqueueInput): Promise<Job> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .insert(jobs)
      .values({
        orgId: input.orgId,
        kind: input.kind,
        payload: input.payload,
        requirements: input.requirements,
        priority: input.priority ?? 0,
        maxAttempts: input.maxAttempts ?? 3,
        createdBy: input.createdBy,
        status: input.status ?? "queued",
      })
      .returning();
    if (!job) throw new Error("job insert returned no row");
    await addEvent(tx, job.id, "info", job.status === "queued" ? "Job created and queued." : "Job created; validating its inputs.");
    return job;
  });
}

/** validating → queued, once the control plane checked the job's inputs. */
export async function markQueued(db: Db, jobId: string) {
  await db.transaction(async (tx) => {
    const [job] = await tx.update(jobs).set({ status: "queued", updatedAt: sql`now()` }).where(and(eq(jobs.id, jobId), eq(jobs.status, "validating"))).returning({ id: jobs.id });
    if (job) await addEvent(tx, jobId, "info", "Inputs validated; queued for a worker.");
  });
}

export interface LeaseWorker {
  id: string;
  /** null: a platform worker that serves every org. */
  orgId: string | null;
  capabilities: Capabilities;
}

/** Leases the best queued job this worker can run, or returns null. Safe under any concurrency. */
export async function leaseNextJob(db: Db, worker: LeaseWorker, policy: QueuePolicy = defaultPolicy): Promise<Job | null> {
  const caps = worker.capabilities;
  const requirement = (field: keyof JobRequirements) => sql`${jobs.requirements}->>${field}`;
  const candidate = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.status, "queued"),
        lte(jobs.runAfter, sql`now()`),
        worker.orgId ? eq(jobs.orgId, worker.orgId) : undefined,
        inArray(jobs.kind, caps.kinds),
        inArray(requirement("baseModel"), caps.models),
        sql`coalesce(${requirement("device")}, 'any') in ('any', ${caps.device})`,
        sql`coalesce((${requirement("minGpuMemoryGb")})::float8, 0) <= ${caps.gpuMemoryGb}`,
      ),
    )
    .orderBy(desc(jobs.priority), asc(jobs.createdAt))
    .limit(1)
    .for("update", { skipLocked: true });
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(jobs)
      .set({
        status: "running",
        leaseId: sql`gen_random_uuid()`,
        leaseWorkerId: worker.id,
        leaseExpiresAt: sql`now() + make_interval(secs => ${policy.leaseSeconds})`,
        attempts: sql`${jobs.attempts} + 1`,
        startedAt: sql`coalesce(${jobs.startedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(eq(jobs.id, sql`(${candidate})`))
      .returning();
    if (!job) return null;
    await addEvent(tx, job.id, "info", `Started on a worker (attempt ${job.attempts} of ${job.maxAttempts}).`);
    return job;
  });
}

/** The conditions under which `leaseId` still owns the job. */
const ownedBy = (jobId: string, leaseId: string) =>
  and(eq(jobs.id, jobId), eq(jobs.leaseId, leaseId), eq(jobs.status, "running"), gt(jobs.leaseExpiresAt, sql`now()`));

async function findJob(db: Executor, jobId: string) {
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
  return job ?? null;
}

function leaseLost(job: Job | null, leaseId: string): LeaseLostError {
  if (!job) return new LeaseLostError("No such job.");
  if (job.leaseId !== leaseId) return new LeaseLostError("This lease is no longer the job's: it expired and the job was requeued or leased again. Drop the job.");
  if (job.status !== "running") return new LeaseLostError(`The job is ${job.status}; drop it.`);
  return new LeaseLostError("The lease expired before this call arrived; the job will be requeued. Drop it.");
}

export interface HeartbeatInput {
  progress: Progress;
  metrics: MetricPoint[];
  checkpoint: { key: string; step: number } | null;
}

/** Renews the lease and records progress; `cancel` tells the worker to stop. */
export async function heartbeat(db: Db, jobId: string, leaseId: string, input: HeartbeatInput, policy: QueuePolicy = defaultPolicy) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(jobs)
      .set({
        leaseExpiresAt: sql`now() + make_interval(secs => ${policy.leaseSeconds})`,
        progress: input.progress,
        ...(input.checkpoint ? { checkpoint: input.checkpoint } : {}),
        updatedAt: sql`now()`,
      })
      .where(ownedBy(jobId, leaseId))
      .returning({ leaseExpiresAt: jobs.leaseExpiresAt });
    if (!row) {
      const job = await findJob(tx, jobId);
      if (job?.status === "cancelled" && job.leaseId === leaseId) return { cancel: true, leaseExpiresAt: new Date() };
      throw leaseLost(job, leaseId);
    }
    if (input.metrics.length) {
      await tx.insert(jobEvents).values(input.metrics.map((m) => ({ jobId, level: "metric" as const, message: m.name, data: m })));
    }
    if (input.checkpoint) await addEvent(tx, jobId, "info", `Checkpoint saved at step ${input.checkpoint.step}.`);
    return { cancel: false, leaseExpiresAt: row.leaseExpiresAt ?? new Date() };
  });
}

export async function addWorkerEvents(db: Db, jobId: string, leaseId: string, events: { level: "info" | "warn" | "error"; message: string }[]) {
  const job = await findJob(db, jobId);
  if (!job || job.leaseId !== leaseId || !["running", "cancelled"].includes(job.status)) throw leaseLost(job, leaseId);
  await db.insert(jobEvents).values(events.map((e) => ({ jobId, level: e.level, message: e.message })));
}

/** Checks that `leaseId` owns the job (for calls that change nothing in the row, like upload URLs). */
export async function assertLease(db: Db, jobId: string, leaseId: string): Promise<Job> {
  const [job] = await db.select().from(jobs).where(ownedBy(jobId, leaseId));
  if (!job) throw leaseLost(await findJob(db, jobId), leaseId);
  return job;
}

/**
 * Marks the job succeeded and runs `onSucceeded` in the same transaction. Repeating the call
 * with the lease that completed it answers the same; any other lease changes nothing.
 */
export async function completeJob(db: Db, jobId: string, leaseId: string, result: JobResult, onSucceeded?: (tx: Tx, job: Job) => Promise<void>) {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(jobs)
      .set({ status: "succeeded", result, error: null, finishedAt: sql`now()`, leaseExpiresAt: null, updatedAt: sql`now()` })
      .where(ownedBy(jobId, leaseId))
      .returning();
    if (!job) {
      const current = await findJob(tx, jobId);
      if (current?.status === "succeeded" && current.leaseId === leaseId) return { status: "succeeded" as const, repeated: true };
      throw leaseLost(current, leaseId);
    }
    await onSucceeded?.(tx, job);
    await addEvent(tx, jobId, "info", "Succeeded.");
    return { status: "succeeded" as const, repeated: false };
  });
}

const backoffSeconds = (attempts: number, policy: QueuePolicy) => Math.min(policy.retryBaseSeconds * 2 ** Math.max(0, attempts - 1), policy.retryMaxSeconds);

/** A retryable failure with attempts left requeues the job after a backoff; otherwise it fails. */
export async function failJob(db: Db, jobId: string, leaseId: string, failure: { message: string; retryable: boolean }, policy: QueuePolicy = defaultPolicy) {
  return db.transaction(async (tx) => {
    const [job] = await tx.select().from(jobs).where(ownedBy(jobId, leaseId)).for("update");
    if (!job) throw leaseLost(await findJob(tx, jobId), leaseId);
    return settleFailure(tx, job, failure.message, failure.retryable, policy);
  });
}

async function settleFailure(tx: Tx, job: Job, message: string, retryable: boolean, policy: QueuePolicy) {
  if (retryable && job.attempts < job.maxAttempts) {
    const wait = backoffSeconds(job.attempts, policy);
    await tx
      .update(jobs)
      .set({ status: "queued", runAfter: sql`now() + make_interval(secs => ${wait})`, leaseId: null, leaseWorkerId: null, leaseExpiresAt: null, updatedAt: sql`now()` })
      .where(eq(jobs.id, job.id));
    await addEvent(tx, job.id, "warn", `Attempt ${job.attempts} of ${job.maxAttempts} failed: ${message} Retrying in ${wait} s.`);
    return { status: "queued" as const };
  }
  const final = retryable ? `${message} (gave up after ${job.attempts} attempts)` : message;
  await tx.update(jobs).set({ status: "failed", error: final, finishedAt: sql`now()`, leaseExpiresAt: null, updatedAt: sql`now()` }).where(eq(jobs.id, job.id));
  await addEvent(tx, job.id, "error", `Failed: ${final}`);
  return { status: "failed" as const };
}

/** A worker shutting down hands the job back; the attempt does not count. */
export async function releaseJob(db: Db, jobId: string, leaseId: string, reason: string) {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(jobs)
      .set({ status: "queued", attempts: sql`greatest(${jobs.attempts} - 1, 0)`, runAfter: sql`now()`, leaseId: null, leaseWorkerId: null, leaseExpiresAt: null, updatedAt: sql`now()` })
      .where(ownedBy(jobId, leaseId))
      .returning();
    if (!job) throw leaseLost(await findJob(tx, jobId), leaseId);
    const checkpoint = job.checkpoint as { step: number } | null;
    await addEvent(tx, jobId, "info", `The worker released the job (${reason}); requeued${checkpoint ? `, resumes from step ${checkpoint.step}` : ""}.`);
    return { status: "queued" as const };
  });
}

/** Requeues (or fails, when out of attempts) every running job whose lease expired. */
export async function reapExpiredLeases(db: Db, policy: QueuePolicy = defaultPolicy): Promise<number> {
  return db.transaction(async (tx) => {
    const expired = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.status, "running"), lt(jobs.leaseExpiresAt, sql`now()`)))
      .for("update", { skipLocked: true });
    for (const job of expired) {
      await settleFailure(tx, job, "The worker stopped sending heartbeats (lease expired).", true, policy);
    }
    return expired.length;
  });
}

/** A user's cancel: queued jobs stop at once, a running one at its worker's next heartbeat. */
export async function cancelJob(db: Db, orgId: string, jobId: string, who: string) {
  return db.transaction(async (tx) => {
    const [job] = await tx.select().from(jobs).where(and(eq(jobs.id, jobId), eq(jobs.orgId, orgId))).for("update");
    if (!job) return null;
    if (!["validating", "queued", "running"].includes(job.status)) throw new JobStateError(`This job already ${job.status}; there is nothing to cancel.`);
    await tx.update(jobs).set({ status: "cancelled", finishedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(jobs.id, jobId));
    await addEvent(tx, jobId, "warn", `Cancelled by ${who}${job.status === "running" ? "; the worker stops at its next heartbeat" : ""}.`);
    return { status: "cancelled" as const };
  });
}

/** A user's retry of a failed or cancelled job: fresh attempts, resuming from its last checkpoint. */
export async function retryJob(db: Db, orgId: string, jobId: string, who: string) {
  return db.transaction(async (tx) => {
    const [job] = await tx.select().from(jobs).where(and(eq(jobs.id, jobId), eq(jobs.orgId, orgId))).for("update");
    if (!job) return null;
    if (!["failed", "cancelled"].includes(job.status)) throw new JobStateError(`Only a failed or cancelled job can be retried; this one is ${job.status}.`);
    await tx
      .update(jobs)
      .set({ status: "queued", attempts: 0, error: null, result: null, finishedAt: null, runAfter: sql`now()`, leaseId: null, leaseWorkerId: null, leaseExpiresAt: null, updatedAt: sql`now()` })
      .where(eq(jobs.id, jobId));
    const checkpoint = job.checkpoint as { step: number } | null;
    await addEvent(tx, jobId, "info", `Retried by ${who}${checkpoint ? `; resumes from step ${checkpoint.step}` : ""}.`);
    return { status: "queued" as const };
  });
}

export async function getJob(db: Db, orgId: string, jobId: string) {
  const [job] = await db.select().from(jobs).where(and(eq(jobs.id, jobId), eq(jobs.orgId, orgId)));
  return job ?? null;
}

/** Events after `afterId` (for polling), oldest first. */
export async function listJobEvents(db: Db, orgId: string, jobId: string, afterId = 0, limit = 2000) {
  const job = await getJob(db, orgId, jobId);
  if (!job) return null;
  return db
    .select({ id: jobEvents.id, level: jobEvents.level, message: jobEvents.message, data: jobEvents.data, createdAt: jobEvents.createdAt })
    .from(jobEvents)
    .where(and(eq(jobEvents.jobId, jobId), gt(jobEvents.id, afterId)))
    .orderBy(asc(jobEvents.id))
    .limit(limit);
}
