// The job queue on PGlite and on real Postgres: leasing, capability matching, heartbeats,
// expiry with requeue and backoff, idempotent completion, failure, release, cancel, retry.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "@/server/db/connect";
import { jobs, organizations } from "@/server/db/schema";
import type { Capabilities, JobResult } from "@/server/jobs/protocol";
import {
  cancelJob,
  completeJob,
  enqueueJob,
  failJob,
  heartbeat,
  leaseNextJob,
  LeaseLostError,
  listJobEvents,
  reapExpiredLeases,
  releaseJob,
  retryJob,
  type JobRequirements,
  type LeaseWorker,
  type QueuePolicy,
} from "@/server/jobs/queue";
import { createTestDatabase, type TestDatabase } from "../helpers/db";

let database: TestDatabase;
let db: Db;
let orgId: string;
let otherOrgId: string;

const noWait: QueuePolicy = { leaseSeconds: 60, retryBaseSeconds: 0, retryMaxSeconds: 0 };
const cpu: Capabilities = { device: "cpu", gpuName: null, gpuMemoryGb: 0, models: ["tiny-llama"], kinds: ["finetune", "generate"] };
const tiny: JobRequirements = { baseModel: "tiny-llama", device: "any", minGpuMemoryGb: 0 };
const progress = { step: 1, totalSteps: 10, epoch: 0.1, loss: 2.5, learningRate: 1e-4, tokensPerSecond: 100, etaSeconds: 9 };
const result: JobResult = { kind: "generate", outputs: [{ variant: "base", text: "hi", promptTokens: 3, completionTokens: 1, seconds: 0.1 }] };

let workerSeq = 0;
const worker = (orgIdOf: string | null, capabilities: Capabilities = cpu): LeaseWorker => ({
  id: crypto.randomUUID(),
  orgId: orgIdOf,
  capabilities: { ...capabilities, models: [...capabilities.models] },
});

async function enqueue(overrides: Partial<Parameters<typeof enqueueJob>[1]> = {}) {
  return enqueueJob(db, { orgId, kind: "generate", payload: { n: workerSeq++ }, requirements: tiny, createdBy: null, ...overrides });
}

/** Workers are rows too (leases reference them); tests register them directly. */
async function registered(w: LeaseWorker) {
  await db.execute(sql`insert into worker_tokens (id, name, prefix, token_hash) values (${w.id}, 'test', 'trw_test', ${w.id})`);
  await db.execute(sql`insert into workers (id, token_id, name, version, capabilities) values (${w.id}, ${w.id}, 'test', '0', ${JSON.stringify(w.capabilities)}::jsonb)`);
  return w;
}

async function expireLease(jobId: string) {
  await db.update(jobs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(jobs.id, jobId));
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  const [a, b] = await db.insert(organizations).values([{ name: "A", slug: "queue-a" }, { name: "B", slug: "queue-b" }]).returning();
  orgId = a!.id;
  otherOrgId = b!.id;
});
afterAll(() => database.close());

async function drainQueue() {
  await db.update(jobs).set({ status: "cancelled" }).where(eq(jobs.status, "queued"));
}

describe("leasing", () => {
  it("leases by priority then age, and each job once", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const low = await enqueue();
    const high = await enqueue({ priority: 5 });
    const first = await leaseNextJob(db, w);
    const second = await leaseNextJob(db, w);
    expect([first?.id, second?.id]).toEqual([high.id, low.id]);
    expect(first).toMatchObject({ status: "running", attempts: 1, leaseWorkerId: w.id });
    expect(await leaseNextJob(db, w)).toBeNull();
  });

  it("matches capabilities: base model, device, GPU memory, kind and org", async () => {
    await drainQueue();
    const gpuJob = await enqueue({ requirements: { baseModel: "Qwen/Qwen2.5-7B-Instruct", device: "cuda", minGpuMemoryGb: 40 } });
    const small = await registered(worker(orgId, { ...cpu, device: "cuda", gpuMemoryGb: 24, models: ["Qwen/Qwen2.5-7B-Instruct"] }));
    const cpuOnly = await registered(worker(orgId, { ...cpu, models: ["Qwen/Qwen2.5-7B-Instruct"] }));
    const noModel = await registered(worker(orgId, { ...cpu, device: "cuda", gpuMemoryGb: 80 }));
    const trainOnly = await registered(worker(orgId, { ...cpu, device: "cuda", gpuMemoryGb: 80, models: ["Qwen/Qwen2.5-7B-Instruct"], kinds: ["finetune"] }));
    const otherOrg = await registered(worker(otherOrgId, { ...cpu, device: "cuda", gpuMemoryGb: 80, models: ["Qwen/Qwen2.5-7B-Instruct"] }));
    for (const w of [small, cpuOnly, noModel, trainOnly, otherOrg]) expect(await leaseNextJob(db, w)).toBeNull();
    const platform = await registered(worker(null, { ...cpu, device: "cuda", gpuMemoryGb: 80, models: ["Qwen/Qwen2.5-7B-Instruct"] }));
    expect((await leaseNextJob(db, platform))?.id).toBe(gpuJob.id);
  });

  it("keeps validating jobs and jobs waiting out a backoff out of the queue", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    await enqueue({ status: "validating" });
    const later = await enqueue();
    await db.update(jobs).set({ runAfter: sql`now() + interval '1 hour'` }).where(eq(jobs.id, later.id));
    expect(await leaseNextJob(db, w)).toBeNull();
  });

  it("50 concurrent leasers never lease a job twice", async () => {
    await drainQueue();
    // On Postgres, 50 real connections; on PGlite, 50 interleaved callers of one connection.
    const pool = database.url ? openDatabase({ url: database.url, maxConnections: 50 }) : null;
    const leaseDb = pool?.db ?? db;
    try {
      const created = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const rows = await db
          .insert(jobs)
          .values(Array.from({ length: 50 }, () => ({ orgId, kind: "generate" as const, payload: {}, requirements: tiny })))
          .returning({ id: jobs.id });
        rows.forEach((r) => created.add(r.id));
      }
      const leasers = await Promise.all(Array.from({ length: 50 }, () => registered(worker(orgId))));
      const leased: string[] = [];
      await Promise.all(
        leasers.map(async (w) => {
          for (let job = await leaseNextJob(leaseDb, w); job; job = await leaseNextJob(leaseDb, w)) leased.push(job.id);
        }),
      );
      expect(leased).toHaveLength(created.size);
      expect(new Set(leased)).toEqual(created);
      const attempts = await db.select({ attempts: jobs.attempts }).from(jobs).where(sql`${jobs.id} in ${[...created]}`);
      expect(attempts.every((r) => r.attempts === 1)).toBe(true);
    } finally {
      await pool?.close();
    }
  }, 60_000);
});

describe("a leased job", () => {
  it("heartbeats renew the lease and record progress and metrics", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = (await enqueue())!;
    const leased = (await leaseNextJob(db, w))!;
    const before = leased.leaseExpiresAt!;
    const answer = await heartbeat(db, job.id, leased.leaseId!, { progress, metrics: [{ step: 1, name: "train_loss", value: 2.5 }], checkpoint: { key: `jobs/${job.id}/ckpt.tar`, step: 1 } });
    expect(answer.cancel).toBe(false);
    expect(answer.leaseExpiresAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
    const [row] = await db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(row).toMatchObject({ progress, checkpoint: { step: 1 } });
    const events = (await listJobEvents(db, orgId, job.id))!;
    expect(events.find((e) => e.level === "metric")).toMatchObject({ message: "train_loss", data: { step: 1, value: 2.5 } });
  });

  it("completes once; a repeated complete answers the same, a stale lease changes nothing", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = await enqueue();
    const leased = (await leaseNextJob(db, w))!;
    const hooks: string[] = [];
    const onSucceeded = async () => void hooks.push("ran");
    expect(await completeJob(db, job.id, leased.leaseId!, result, onSucceeded)).toEqual({ status: "succeeded", repeated: false });
    expect(await completeJob(db, job.id, leased.leaseId!, result, onSucceeded)).toEqual({ status: "succeeded", repeated: true });
    expect(hooks).toEqual(["ran"]);
    await expect(completeJob(db, job.id, crypto.randomUUID(), result, onSucceeded)).rejects.toBeInstanceOf(LeaseLostError);
    expect(hooks).toEqual(["ran"]);
  });

  it("an expired lease is requeued with backoff, and the old worker's complete is refused", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = await enqueue();
    const first = (await leaseNextJob(db, w))!;
    await expireLease(job.id);
    await expect(heartbeat(db, job.id, first.leaseId!, { progress, metrics: [], checkpoint: null })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await reapExpiredLeases(db, { leaseSeconds: 60, retryBaseSeconds: 30, retryMaxSeconds: 600 })).toBe(1);
    const [requeued] = await db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(requeued).toMatchObject({ status: "queued", leaseId: null, attempts: 1 });
    const waitMs = requeued!.runAfter.getTime() - Date.now();
    expect(waitMs).toBeGreaterThan(20_000);
    expect(await leaseNextJob(db, w)).toBeNull();
    await db.update(jobs).set({ runAfter: sql`now()` }).where(eq(jobs.id, job.id));
    const second = (await leaseNextJob(db, w))!;
    expect(second.attempts).toBe(2);
    await expect(completeJob(db, job.id, first.leaseId!, result)).rejects.toBeInstanceOf(LeaseLostError);
    const [still] = await db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(still).toMatchObject({ status: "running", leaseId: second.leaseId, result: null });
  });

  it("fails for good after the last attempt's lease expires", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = await enqueue({ maxAttempts: 2 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await leaseNextJob(db, w, noWait))?.attempts).toBe(attempt);
      await expireLease(job.id);
      await reapExpiredLeases(db, noWait);
    }
    const [row] = await db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(row).toMatchObject({ status: "failed" });
    expect(row!.error).toMatch(/stopped sending heartbeats.*gave up after 2 attempts/);
  });

  it("a retryable failure requeues, a non-retryable one fails at once", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = await enqueue();
    const first = (await leaseNextJob(db, w, noWait))!;
    expect(await failJob(db, job.id, first.leaseId!, { message: "CUDA out of memory.", retryable: true }, noWait)).toEqual({ status: "queued" });
    const second = (await leaseNextJob(db, w, noWait))!;
    expect(await failJob(db, job.id, second.leaseId!, { message: "Line 3 of the snapshot is not JSON.", retryable: false }, noWait)).toEqual({ status: "failed" });
    const [row] = await db.select().from(jobs).where(eq(jobs.id, job.id));
    expect(row).toMatchObject({ status: "failed", error: "Line 3 of the snapshot is not JSON.", attempts: 2 });
    await expect(failJob(db, job.id, second.leaseId!, { message: "again", retryable: false })).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("a release hands the job back without spending an attempt", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = await enqueue();
    const leased = (await leaseNextJob(db, w))!;
    await heartbeat(db, job.id, leased.leaseId!, { progress, metrics: [], checkpoint: { key: "k", step: 7 } });
    await releaseJob(db, job.id, leased.leaseId!, "SIGTERM");
    const again = (await leaseNextJob(db, w))!;
    expect(again).toMatchObject({ id: job.id, attempts: 1, checkpoint: { key: "k", step: 7 } });
  });
});

describe("cancel and retry", () => {
  it("cancelling a running job makes the next heartbeat say cancel and refuses its complete", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = await enqueue();
    const leased = (await leaseNextJob(db, w))!;
    expect(await cancelJob(db, orgId, job.id, "ada@example.com")).toEqual({ status: "cancelled" });
    expect((await heartbeat(db, job.id, leased.leaseId!, { progress, metrics: [], checkpoint: null })).cancel).toBe(true);
    await expect(completeJob(db, job.id, leased.leaseId!, result)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(cancelJob(db, orgId, job.id, "ada@example.com")).rejects.toThrow(/already cancelled/);
    expect(await cancelJob(db, otherOrgId, job.id, "mallory")).toBeNull();
  });

  it("retrying a failed job starts fresh attempts and keeps its checkpoint", async () => {
    await drainQueue();
    const w = await registered(worker(orgId));
    const job = await enqueue({ maxAttempts: 1 });
    const leased = (await leaseNextJob(db, w))!;
    await heartbeat(db, job.id, leased.leaseId!, { progress, metrics: [], checkpoint: { key: "k", step: 3 } });
    await failJob(db, job.id, leased.leaseId!, { message: "boom", retryable: true });
    await expect(retryJob(db, orgId, crypto.randomUUID(), "ada")).resolves.toBeNull();
    expect(await retryJob(db, orgId, job.id, "ada")).toEqual({ status: "queued" });
    expect(await leaseNextJob(db, w)).toMatchObject({ id: job.id, attempts: 1, checkpoint: { step: 3 }, error: null });
    const messages = (await listJobEvents(db, orgId, job.id))!.map((e) => e.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/Failed: boom/), expect.stringMatching(/Retried by ada; resumes from step 3/)]));
  });
});
