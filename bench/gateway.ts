// The gateway's added latency. A stand-in serving worker answers /v1/chat/completions at once; a
// paced load generator sends the same chat completion to it directly and through the /v1 API
// (createV1Api's handler on a plain Node server, as scripts/serve.mjs runs it for /v1)
// at fixed rates (each pair of runs repeated; the median one is the headline), and overhead =
// gateway latency percentile − direct latency percentile. The
// gateway runs against a seeded database (PGlite in memory, or a throwaway Postgres database)
// with one org, a ready deployment, an online serving worker and a rate-limited API key. Then
// autocannon finds each one's capacity (10 connections, closed loop). Prints a table and writes
// bench/results/gateway.json. Three processes: this one (load), the gateway, the worker.
// Run: npm run bench:gateway [-- --seconds 10 --rates 200,1000 --repeat 3 --capacity 5 --postgres postgres://…/postgres --profile DIR]
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization } from "node:perf_hooks";
import { createInterface } from "node:readline";
import v8 from "node:v8";
import autocannon from "autocannon";
import postgres from "postgres";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");

const BASE_MODEL = "bench-base";
const DEPLOYMENT = "bench-model";
/** What the key allows: well above the load, so every request is admitted, yet counted. */
const LIMITS = { requestsPerMinute: 120_000, tokensPerMinute: 12_000_000 };

const role = args.get("role");
if (role === "worker") void serveWorker();
else if (role === "gateway") void serveGateway(args.get("worker")!, args.get("database") || null);
else void main();

/** Tells the parent where it listens, as one JSON line on stdout. */
function announce(value: unknown) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A serving worker that answers every completion at once, in the worker protocol's shape (no signature check). */
async function serveWorker() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const answer = JSON.stringify({
        id: "chatcmpl-bench",
        object: "chat.completion",
        created: 1,
        model: "adapter",
        choices: [{ index: 0, message: { role: "assistant", content: "An answer at once." }, finish_reason: "stop" }],
        usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) }).end(answer);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  announce({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** The /v1 API over a seeded database, on a plain Node server; on "stop" (stdin) it flushes usage and reports it. */
async function serveGateway(workerUrl: string, databaseUrl: string | null) {
  const { openDatabase } = await import("../server/db/connect");
  const { createV1Api } = await import("../server/serving/v1-api");
  const { LocalBlobStore } = await import("../server/storage/local");
  const database = openDatabase({ url: databaseUrl ?? undefined, dataDir: null });
  await database.migrate();
  const seeded = await seed(database.db, workerUrl);
  const store = new LocalBlobStore({ root: mkdtempSync(path.join(os.tmpdir(), "bench-gateway-")), appUrl: "http://127.0.0.1", secret: "bench" });
  const v1 = createV1Api(() => ({ db: database.db, store }));

  // What the app server (scripts/serve.mjs) does with a request under /v1.
  const server = http.createServer((req, res) => void v1.handle(req, res));
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  announce({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, key: seeded.key });

  // Each measured run is bracketed by "start [profile]" and "end [profile file]": the gateway
  // answers with its event loop's delays over the run (how long a request waited for it), the
  // share of the run its thread was busy, its garbage collections' pauses, and how much its old
  // generation grew (what outlived young-generation collections: major collections follow).
  const { Session } = await import("node:inspector/promises");
  const profiler = new Session();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  let busySince: EventLoopUtilization = performance.eventLoopUtilization();
  let gcPauses: number[] = [];
  let majorGcs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauses.push(entry.duration);
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
    }
  }).observe({ entryTypes: ["gc"] });
  const oldSpaceBytes = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === "old_space")!.space_used_size;
  let oldAtStart = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, argument] = line.split(" ");
    if (command === "start") {
      if (argument === "profile") {
        profiler.connect();
        await profiler.post("Profiler.enable");
        await profiler.post("Profiler.start");
      }
      loopDelay.reset();
      loopDelay.enable();
      busySince = performance.eventLoopUtilization();
      gcPauses = [];
      majorGcs = 0;
      oldAtStart = oldSpaceBytes();
      announce({ started: true });
    }
    if (command === "end") {
      loopDelay.disable();
      if (argument) {
        const { profile } = await profiler.post("Profiler.stop");
        writeFileSync(argument, JSON.stringify(profile));
        profiler.disconnect();
      }
      const ms = (ns: number) => ns / 1e6;
      announce({
        eventLoopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
        eventLoopUtilization: performance.eventLoopUtilization(busySince).utilization,
        gcPausesMs: { count: gcPauses.length, total: gcPauses.reduce((a, b) => a + b, 0), max: Math.max(0, ...gcPauses), over5: gcPauses.filter((p) => p > 5).length, majorGcs, oldSpaceGrowthMB: (oldSpaceBytes() - oldAtStart) / 1e6 },
      });
    }
    if (line !== "stop") continue;
    clearInterval(seeded.heartbeat);
    await v1.flushUsage();
    const { sql } = await import("drizzle-orm");
    const { apiUsageDaily } = await import("../server/db/schema");
    const [usage] = await database.db
      .select({ requests: sql<number>`coalesce(sum(${apiUsageDaily.requests}), 0)::int`, errors: sql<number>`coalesce(sum(${apiUsageDaily.errors}), 0)::int` })
      .from(apiUsageDaily);
    announce({ usage });
    break;
  }
  server.close();
  await database.close();
  process.exit(0);
}

/** One org with a ready deployment, an online serving worker (kept online) at `workerUrl`, and a limited API key. */
async function seed(db: import("../server/db/connect").Db, workerUrl: string) {
  const { sql } = await import("drizzle-orm");
  const schema = await import("../server/db/schema");
  const { createApiKey } = await import("../server/serving/api-keys");
  const { authenticateWorkerToken, createWorkerToken, registerWorker } = await import("../server/jobs/workers");
  const [org] = await db.insert(schema.organizations).values({ slug: "bench", name: "Bench" }).returning();
  const orgId = org!.id;
  const [model] = await db.insert(schema.models).values({ orgId, slug: "bench", name: "Bench", baseModel: BASE_MODEL }).returning();
  const [job] = await db.insert(schema.jobs).values({ orgId, kind: "finetune", status: "succeeded", payload: {}, requirements: {} }).returning();
  const [version] = await db
    .insert(schema.fineTunes)
    .values({ orgId, modelId: model!.id, jobId: job!.id, versionNumber: 1, taskTemplate: "chat", hyperparameters: {}, exampleCount: 2, tokenCount: 10, estimate: {}, adapter: [] })
    .returning();
  await db.insert(schema.deployments).values({ orgId, name: DEPLOYMENT, modelId: model!.id, fineTuneId: version!.id, baseModel: BASE_MODEL, status: "ready" });
  const token = await createWorkerToken(db, { orgId: null, name: "bench", createdBy: null });
  const { id: workerId } = await registerWorker(db, (await authenticateWorkerToken(db, token.token))!, {
    name: "bench",
    version: "bench",
    capabilities: { device: "cpu", gpuName: null, gpuMemoryGb: 0, models: [BASE_MODEL], kinds: ["generate"], serving: { url: workerUrl, baseModel: BASE_MODEL, maxBatchSize: 64, gpuAdapterSlots: 4 } },
  });
  // A real worker heartbeats; the gateway lists only workers seen in the last 90 s. (A drizzle query runs when awaited.)
  const heartbeat = setInterval(async () => {
    await db.execute(sql`update workers set last_seen_at = now() where id = ${workerId}`).catch((error: unknown) => console.error("heartbeat failed", error));
  }, 20_000);
  const key = await createApiKey(db, { orgId, name: "bench", createdBy: null, deploymentIds: null, expiresAt: null, ...LIMITS });
  return { key: key.secret, heartbeat };
}

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Kept-alive connections, reused from run to run as an API client's would be. */
  agent: http.Agent;
}

interface Pair {
  rate: number;
  label: string;
  direct: Run;
  gateway: Run;
  overhead: { p50: number; p90: number; p99: number };
}

interface Run {
  rate: number;
  sent: number;
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  errors: number;
  non2xx: number;
  /** What the first failed request got, if one failed. */
  firstFailure: string | null;
  /** Through the gateway: CPU milliseconds per request of the gateway and of the worker, user and system. */
  cpuMsPerRequest?: Record<string, number>;
  /** Through the gateway: how long work waited for the gateway's event loop. */
  gatewayEventLoopDelayMs?: { p50: number; p99: number; max: number };
  /** Through the gateway: the share of the run the gateway's thread was busy (0-1). */
  gatewayEventLoopUtilization?: number;
  /** Through the gateway: its garbage collections over the run (pauses of its thread). */
  /** oldSpaceGrowthMB: the old generation's growth over the run (less what major collections freed, when majorGcs > 0). */
  gatewayGcPausesMs?: { count: number; total: number; max: number; over5: number; majorGcs: number; oldSpaceGrowthMB: number };
}

/** Sends `rate` requests a second for `seconds`, each at its time whatever the answers do (open loop); latency from send to the answer's end. */
async function paced(target: Target, rate: number, seconds: number): Promise<Run> {
  const { agent } = target;
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let firstFailure: string | null = null;
  let finished = 0;
  const start = performance.now();
  let lastSent = start;
  await new Promise<void>((resolve) => {
    const finish = () => {
      if (++finished === total) resolve();
    };
    const send = () => {
      const t0 = performance.now();
      lastSent = t0;
      const req = http.request(target.url, { method: "POST", agent, headers: target.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => res.statusCode !== 200 && firstFailure === null && chunks.push(chunk));
        res.on("end", () => {
          latencies.push(performance.now() - t0);
          if (res.statusCode !== 200) {
            non2xx++;
            firstFailure ??= `HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`;
          }
          finish();
        });
      });
      req.on("error", (error) => {
        firstFailure ??= error.message;
        errors++;
        finish();
      });
      req.end(target.body);
    };
    let sent = 0;
    const tick = () => {
      while (sent < total && start + (sent * 1000) / rate <= performance.now()) {
        send();
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
    };
    tick();
  });
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rate, sent: total, achievedRate: total / ((lastSent - start) / 1000), p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: latencies.at(-1) ?? NaN, errors, non2xx, firstFailure };
}

/** Closed-loop requests per second with 10 connections. */
async function capacity(target: Target, seconds: number) {
  const result = await autocannon({ url: target.url, method: "POST", headers: target.headers, body: target.body, connections: 10, duration: seconds });
  return { requestsPerSecond: result.requests.average, sent: result.requests.sent, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

/** CPU seconds (user, system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const tick = 100; // USER_HZ
  return { user: Number(fields[11]) / tick, system: Number(fields[12]) / tick };
}

/** Starts this file in another role and waits for its first line. */
async function child(roleArgs: string[]) {
  const proc: ChildProcess = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...roleArgs], { stdio: ["pipe", "pipe", "inherit"] });
  // Ends with this process, however that ends.
  process.on("exit", () => proc.kill());
  const lines = createInterface({ input: proc.stdout! });
  const exited = once(proc, "exit").then(() => Promise.reject(new Error(`${roleArgs.join(" ")} exited early`)));
  exited.catch(() => {});
  const next = async (): Promise<Record<string, unknown>> => {
    const [line] = (await Promise.race([once(lines, "line"), exited])) as [string];
    if (line.startsWith("{")) return JSON.parse(line) as Record<string, unknown>;
    // Anything else on its stdout (node's own tracing flags) is passed on.
    console.error(line);
    return next();
  };
  return { process: proc, info: await next(), next };
}

async function main() {
  const loadBefore = os.loadavg()[0];
  const seconds = Number(args.get("seconds") ?? 10);
  const repeat = Number(args.get("repeat") ?? 3);
  const rates = (args.get("rates") ?? "200,1000").split(",").map(Number);
  const adminUrl = args.get("postgres");
  /** A folder: the gateway's CPU profile of each gateway run goes there. */
  const profile = args.get("profile");
  let databaseUrl: string | null = null;
  const admin = adminUrl ? postgres(adminUrl, { max: 1, onnotice: () => {} }) : null;
  if (admin) {
    const name = `tributary_bench_gateway_${randomBytes(4).toString("hex")}`;
    await admin.unsafe(`create database ${name}`);
    const url = new URL(adminUrl!);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  }
  const worker = await child(["--role", "worker"]);
  const gateway = await child(["--role", "gateway", "--worker", String(worker.info.url), "--database", databaseUrl ?? ""]);
  const body = JSON.stringify({ model: DEPLOYMENT, messages: [{ role: "user", content: "Say something short." }], max_tokens: 16 });
  const direct: Target = { url: `${worker.info.url}/v1/chat/completions`, headers: { "content-type": "application/json" }, body: body.replace(DEPLOYMENT, "adapter"), agent: new http.Agent({ keepAlive: true }) };
  const viaGateway: Target = { url: `${gateway.info.url}/v1/chat/completions`, headers: { "content-type": "application/json", authorization: `Bearer ${gateway.info.key}` }, body, agent: new http.Agent({ keepAlive: true }) };

  let gatewayRequests = 0;
  // Warm-up: JIT, connection pools, the caches' first reads.
  for (const t of [direct, viaGateway]) {
    const warm = await paced(t, 500, 3);
    if (t === viaGateway) gatewayRequests += warm.sent;
  }
  /** One direct run, then one through the gateway, at `rate`, with the gateway's CPU and event loop over its run. */
  async function pair(rate: number, label: string): Promise<Pair> {
    const d = await paced(direct, rate, seconds);
    gateway.process.stdin!.write(`start${profile ? " profile" : ""}\n`);
    await gateway.next();
    const before = { gateway: cpuSeconds(gateway.process.pid!), worker: cpuSeconds(worker.process.pid!), load: cpuSeconds(process.pid) };
    const g = await paced(viaGateway, rate, seconds);
    const after = { gateway: cpuSeconds(gateway.process.pid!), worker: cpuSeconds(worker.process.pid!), load: cpuSeconds(process.pid) };
    const perRequest = (p: "gateway" | "worker" | "load", k: "user" | "system") => ((after[p][k] - before[p][k]) * 1000) / g.sent;
    g.cpuMsPerRequest = {
      gatewayUser: perRequest("gateway", "user"),
      gatewaySystem: perRequest("gateway", "system"),
      workerUser: perRequest("worker", "user"),
      workerSystem: perRequest("worker", "system"),
      loadGeneratorUser: perRequest("load", "user"),
      loadGeneratorSystem: perRequest("load", "system"),
    };
    const profileFile = profile ? path.resolve(profile, `gateway-${label}.cpuprofile`) : "";
    gateway.process.stdin!.write(`end ${profileFile}\n`);
    const ended = (await gateway.next()) as { eventLoopDelayMs: Run["gatewayEventLoopDelayMs"]; eventLoopUtilization: number; gcPausesMs: Run["gatewayGcPausesMs"] };
    g.gatewayEventLoopDelayMs = ended.eventLoopDelayMs;
    g.gatewayEventLoopUtilization = ended.eventLoopUtilization;
    g.gatewayGcPausesMs = ended.gcPausesMs;
    if (profile) console.log(`wrote ${profileFile}`);
    gatewayRequests += g.sent;
    return { rate, label, direct: d, gateway: g, overhead: { p50: g.p50 - d.p50, p90: g.p90 - d.p90, p99: g.p99 - d.p99 } };
  }
  const results: Pair[] = [];
  for (const rate of rates) for (let i = 1; i <= repeat; i++) results.push(await pair(rate, `${rate}rps-${i}`));
  const capacitySeconds = Number(args.get("capacity") ?? 5);
  const cap = capacitySeconds > 0 ? { direct: await capacity(direct, capacitySeconds), gateway: await capacity(viaGateway, capacitySeconds) } : null;
  gatewayRequests += cap?.gateway.sent ?? 0;

  direct.agent.destroy();
  viaGateway.agent.destroy();
  gateway.process.stdin!.write("stop\n");
  const { usage } = (await gateway.next()) as { usage: { requests: number; errors: number } };
  await once(gateway.process, "exit");
  worker.process.kill();
  if (admin && databaseUrl) {
    await admin.unsafe(`drop database if exists ${new URL(databaseUrl).pathname.slice(1)} with (force)`);
    await admin.end();
  }

  const ms = (n: number) => n.toFixed(2).padStart(8);
  console.log(`\n${"".padEnd(20)}${"p50 ms".padStart(8)}${"p90 ms".padStart(8)}${"p99 ms".padStart(8)}${"p99.9".padStart(8)}${"max".padStart(8)}  errors  non-2xx  sent/s`);
  for (const r of results) {
    for (const [label, run] of [["direct", r.direct], ["gateway", r.gateway]] as const) {
      console.log(`${`${r.label} ${label}`.padEnd(20)}${ms(run.p50)}${ms(run.p90)}${ms(run.p99)}${ms(run.p999)}${ms(run.max)}  ${String(run.errors).padStart(6)}  ${String(run.non2xx).padStart(7)}  ${run.achievedRate.toFixed(0).padStart(6)}`);
    }
    console.log(`${`${r.label} overhead`.padEnd(20)}${ms(r.overhead.p50)}${ms(r.overhead.p90)}${ms(r.overhead.p99)}`);
    const cpu = r.gateway.cpuMsPerRequest!;
    const pair = (u: string, sy: string) => `${cpu[u]!.toFixed(3)} + ${cpu[sy]!.toFixed(3)}`;
    const loop = r.gateway.gatewayEventLoopDelayMs!;
    for (const run of [r.direct, r.gateway]) if (run.firstFailure) console.log(`${"".padEnd(20)}first failure: ${run.firstFailure}`);
    console.log(`${"".padEnd(20)}CPU ms per request (user + system): gateway ${pair("gatewayUser", "gatewaySystem")}, worker ${pair("workerUser", "workerSystem")}, load generator ${pair("loadGeneratorUser", "loadGeneratorSystem")}`);
    const gc = r.gateway.gatewayGcPausesMs!;
    console.log(`${"".padEnd(20)}gateway event-loop delay: p50 ${loop.p50.toFixed(2)} ms, p99 ${loop.p99.toFixed(2)} ms, max ${loop.max.toFixed(1)} ms; busy ${(100 * r.gateway.gatewayEventLoopUtilization!).toFixed(0)} % of the run`);
    console.log(`${"".padEnd(20)}gateway GC: ${gc.count} pauses, ${gc.total.toFixed(0)} ms in all, longest ${gc.max.toFixed(1)} ms, ${gc.over5} over 5 ms; old generation ${gc.oldSpaceGrowthMB >= 0 ? "+" : ""}${gc.oldSpaceGrowthMB.toFixed(1)} MB, ${gc.majorGcs} major`);
  }
  if (cap) console.log(`capacity (10 connections, ${capacitySeconds} s): direct ${cap.direct.requestsPerSecond.toFixed(0)}/s, gateway ${cap.gateway.requestsPerSecond.toFixed(0)}/s (${cap.gateway.errors} errors, ${cap.gateway.non2xx} non-2xx)`);
  console.log(`usage metered: ${usage.requests} requests (${usage.errors} errors) of ${gatewayRequests} sent through the gateway (autocannon's last requests in flight may not arrive)`);

  /** Of a rate's repetitions, the one whose p99 overhead is the median (the machine is shared: one run may meet a neighbour's build). */
  const at = (rate: number) => {
    const runs = results.filter((r) => r.rate === rate).sort((a, b) => a.overhead.p99 - b.overhead.p99);
    return runs[Math.floor((runs.length - 1) / 2)];
  };
  for (const rate of rates) console.log(`${rate}/s, median run of ${repeat} (${at(rate)!.label}): overhead p50 ${at(rate)!.overhead.p50.toFixed(2)} ms, p99 ${at(rate)!.overhead.p99.toFixed(2)} ms`);
  const errors = results.reduce((n, r) => n + r.direct.errors + r.gateway.errors, 0);
  const non2xx = results.reduce((n, r) => n + r.direct.non2xx + r.gateway.non2xx, 0);
  const out = path.join(import.meta.dirname, "results", "gateway.json");
  const summary = {
    benchmark: "bench/gateway.ts",
    machine: { cpuModel: os.cpus()[0]?.model, cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverage1m: { before: loadBefore, after: os.loadavg()[0] } },
    database: databaseUrl ? "postgres" : "pglite",
    seconds,
    repeat,
    /** The headline numbers are those of each rate's median run (by p99 overhead); every run is in `runs`. */
    p50_overhead_ms_200rps: at(200)?.overhead.p50 ?? null,
    p99_overhead_ms_200rps: at(200)?.overhead.p99 ?? null,
    p50_overhead_ms_1000rps: at(1000)?.overhead.p50 ?? null,
    p99_overhead_ms_1000rps: at(1000)?.overhead.p99 ?? null,
    errors,
    non2xx,
    runs: results,
    capacity: cap,
    usage: { metered: usage.requests, sentThroughGateway: gatewayRequests },
  };
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
