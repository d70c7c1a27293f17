// Where a proxied request's time goes before the gateway's own logic: a plain Node server at
// 1,000 requests/s (open loop, 10 s, after a 3 s warm-up at 500/s), in layers: (1) answering a
// constant JSON body, (2) proxying each request to bench/gateway.ts's stand-in worker over
// node:http with kept-alive connections (what the /v1 API stands on since it left Next's route
// handlers: scripts/serve.mjs), (3) the same with the Web Request and Response a Next route
// handler takes and gives, built from and written back to Node's. Prints each layer's event-loop
// utilization (busy share of its thread), CPU per request and latency; compare with
// bench:gateway's busy share for the whole gateway.
// Run: npx tsx bench/gateway-layers.ts
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import { createInterface } from "node:readline";

type Layer = "constant" | "proxy" | "proxy-web";
const layers: Layer[] = ["constant", "proxy", "proxy-web"];

const [role, upstreamUrl] = process.argv.slice(2);
if (role && layers.includes(role as Layer)) void serve(role as Layer, upstreamUrl!);
else void main();

const answer = JSON.stringify({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "An answer at once." }, finish_reason: "stop" }], usage: { prompt_tokens: 9, completion_tokens: 5 } });

/** One layer's server; "start" and "end" on stdin bracket the measured run, answered with its busy share. */
async function serve(layer: Layer, workerUrl: string) {
  const agent = new http.Agent({ keepAlive: true });
  const target = new URL(`${workerUrl}/v1/chat/completions`);
  const upstream = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ hostname: target.hostname, port: target.port, path: target.pathname, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on("error", reject);
      req.end(body);
    });
  const proxied = async (body: string) => {
    const json = JSON.parse(await upstream(body)) as Record<string, unknown>;
    json.model = "bench-model";
    return JSON.stringify(json);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const send = (body: string) => res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
      if (layer === "constant") return send(answer);
      if (layer === "proxy") return send(await proxied(raw.toString()));
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: raw });
      const parts: Uint8Array[] = [];
      const reader = request.body!.getReader();
      for (let part = await reader.read(); !part.done; part = await reader.read()) parts.push(part.value);
      const response = new Response(await proxied(Buffer.concat(parts).toString()), { headers: { "content-type": "application/json" } });
      const body = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": body.length }).end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
  let since: EventLoopUtilization = performance.eventLoopUtilization();
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "start") since = performance.eventLoopUtilization();
    process.stdout.write(`${JSON.stringify(line === "end" ? { busy: performance.eventLoopUtilization(since).utilization } : {})}\n`);
  }
}

async function child(args: string[]) {
  const proc: ChildProcess = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  process.on("exit", () => proc.kill());
  const lines = createInterface({ input: proc.stdout! });
  const next = async () => JSON.parse(((await once(lines, "line")) as [string])[0]) as Record<string, unknown>;
  return { proc, info: await next(), next };
}

/** CPU milliseconds a process has used (user + system), from /proc (Linux). */
function cpuMs(pid: number) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `rate` requests a second for `seconds`, each sent at its time (open loop); p50 and p99 latency. */
async function paced(url: string, agent: http.Agent, rate: number, seconds: number) {
  const body = JSON.stringify({ model: "bench-model", messages: [{ role: "user", content: "Say something short." }], max_tokens: 16 });
  const total = rate * seconds;
  const latencies: number[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const send = () => {
      const t0 = performance.now();
      http
        .request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
          res.resume();
          res.on("end", () => latencies.push(performance.now() - t0) === total && resolve());
        })
        .end(body);
    };
    const tick = () => {
      for (; sent < total && start + (sent * 1000) / rate <= performance.now(); sent++) send();
      if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
    };
    tick();
  });
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(total * 0.5)]!, p99: latencies[Math.floor(total * 0.99)]! };
}

async function main() {
  const worker = await child([`${import.meta.dirname}/gateway.ts`, "--role", "worker"]);
  for (const layer of layers) {
    const server = await child([process.argv[1]!, layer, String(worker.info.url)]);
    const url = `${server.info.url}/v1/chat/completions`;
    const agent = new http.Agent({ keepAlive: true });
    await paced(url, agent, 500, 3);
    server.proc.stdin!.write("start\n");
    await server.next();
    const before = cpuMs(server.proc.pid!);
    const latency = await paced(url, agent, 1000, 10);
    const cpu = (cpuMs(server.proc.pid!) - before) / 10_000;
    server.proc.stdin!.write("end\n");
    const { busy } = (await server.next()) as { busy: number };
    console.log(`${layer.padEnd(10)} busy ${(100 * busy).toFixed(0).padStart(3)} %  CPU ${cpu.toFixed(3)} ms/request  latency p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`);
    server.proc.kill();
    agent.destroy();
  }
  worker.proc.kill();
  process.exit(0);
}
