// A large upload through a running server, as a contributor's browser would drive it: sign up,
// create a chat Datanet, send the file with curl to the raw-body upload route, then validate and
// import over tRPC, polling the upload. Meanwhile it times a probe request every 500 ms (the
// upload query: session check, one row) and samples the server's memory from /proc. Prints a
// table and writes bench/results/server-upload.json.
// Run: npx tsx bench/server-upload.ts --url http://127.0.0.1:3300 --pid <server pid> --file <chat.jsonl> [--make-mib 1024]
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const base = args.get("url") ?? "http://127.0.0.1:3300";
const pid = Number(args.get("pid"));
const file = args.get("file") ?? path.join(os.tmpdir(), "tributary-chat-1g.jsonl");
if (!pid) throw new Error("--pid <pid of the app server (npm start)> is required: its memory is sampled from /proc/<pid>/status");

const words = "fever cough rash sprain migraine anemia asthma dose ligament infection allergy diet sleep vaccine fracture nausea pressure glucose thyroid kidney".split(" ");

/** A chat JSONL of `mib` MiB whose rows are all different (the row number is in each). */
async function makeFile(mib: number) {
  const out = createWriteStream(file);
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 16;
  const phrase = (n: number) => Array.from({ length: n }, () => words[next() % words.length]).join(" ");
  for (let i = 0, written = 0; written < mib * 2 ** 20; i++) {
    const line = `${JSON.stringify({
      messages: [
        { role: "user", content: `Case ${i}: what should I know about ${phrase(3)}?` },
        { role: "assistant", content: `For case ${i}, ${phrase(8)}. See a clinician if ${phrase(3)} persists.` },
      ],
    })}\n`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

let cookie = "";

type Answer = { status: number; cookies: string[]; text: string };

/** One request on its own connection: a kept-alive socket the server has closed meanwhile would fail the call. */
function request(method: "GET" | "POST", url: string, body?: { type: string; text: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { cookie };
    if (body) headers["content-type"] = body.type;
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, cookies: res.headers["set-cookie"] ?? [], text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body?.text);
  });
}

function remember(answer: Answer) {
  for (const c of answer.cookies) cookie = [...cookie.split("; ").filter((x) => x && !x.startsWith(`${c.split("=")[0]}=`)), c.split(";")[0]].join("; ");
}

async function trpc<T>(procedure: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const url = `${base}/api/trpc/${procedure}`;
  const json = JSON.stringify({ json: input });
  const answer =
    kind === "query" ? await request("GET", `${url}?input=${encodeURIComponent(json)}`) : await request("POST", url, { type: "application/json", text: json });
  const body = JSON.parse(answer.text) as { result?: { data: { json: T } }; error?: unknown };
  if (!body.result) throw new Error(`${procedure}: ${JSON.stringify(body.error)}`);
  return body.result.data.json;
}

async function signIn() {
  const email = `bench-${Date.now().toString(36)}@example.org`;
  const password = "bench-password-42";
  const { personalOrgSlug } = await trpc<{ personalOrgSlug: string }>("account.signUp", { name: "Bench", email, password });
  const csrf = await request("GET", `${base}/api/auth/csrf`);
  remember(csrf);
  const { csrfToken } = JSON.parse(csrf.text) as { csrfToken: string };
  const form = new URLSearchParams({ csrfToken, email, password, json: "true" }).toString();
  const signedIn = await request("POST", `${base}/api/auth/callback/password`, { type: "application/x-www-form-urlencoded", text: form });
  remember(signedIn);
  if (!cookie.includes("session-token")) throw new Error(`sign-in failed (HTTP ${signedIn.status})`);
  return personalOrgSlug;
}

function memory() {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kib("VmRSS") / 1024, hwmMiB: kib("VmHWM") / 1024 };
}

type Upload = { id: string; status: string; processedBytes: number; processedRows: number; validRows: number; errorRows: number; duplicateRows: number; error: string | null };

/** Polls the upload every 500 ms until its run ends; the poll itself is the probe whose latency is kept. */
async function follow(uploadId: string, label: string) {
  const started = performance.now();
  const latencies: number[] = [];
  let peakRss = 0;
  let upload: Upload;
  for (;;) {
    const t = performance.now();
    upload = await trpc<Upload>("datanets.upload", { uploadId }, "query");
    latencies.push(performance.now() - t);
    peakRss = Math.max(peakRss, memory().rssMiB);
    if (upload.status !== "validating" && upload.status !== "importing") break;
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`\r${label}: ${upload.status} ${(upload.processedBytes / 2 ** 20).toFixed(0)} MiB, ${upload.processedRows.toLocaleString()} rows, ${seconds.toFixed(0)} s   `);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.stdout.write("\n");
  const sorted = [...latencies].sort((a, b) => a - b);
  const over1s = latencies.filter((l) => l > 1000).length;
  return {
    upload,
    seconds: (performance.now() - started) / 1000,
    probes: latencies.length,
    probeMsP50: Math.round(sorted[Math.floor(sorted.length / 2)]!),
    probeMsMax: Math.round(sorted.at(-1)!),
    probesOver1s: over1s,
    peakRssMiB: Math.round(peakRss),
  };
}

async function main() {
  if (!existsSync(file)) {
    const started = performance.now();
    await makeFile(Number(args.get("make-mib") ?? 1024));
    console.log(`made ${file} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const sizeMiB = statSync(file).size / 2 ** 20;
  const orgSlug = await signIn();
  const draft = await trpc<{ id: string; slug: string }>("datanets.createDraft", { orgSlug, name: "Bench chat" });
  await trpc("datanets.saveDraft", { orgSlug, datanetSlug: draft.slug, recordFormat: "chat" });
  await trpc("datanets.activate", { orgSlug, datanetSlug: draft.slug });

  const sendStarted = performance.now();
  const curl = spawnSync(
    "curl",
    // -T streams the file (--data-binary @file would read it all into memory first).
    ["-sS", "--fail-with-body", "-X", "POST", "-H", `cookie: ${cookie}`, "-H", "content-type: application/x-ndjson", "-T", file, `${base}/api/datanets/${draft.id}/uploads?fileName=chat.jsonl&orgSlug=${orgSlug}`],
    { encoding: "utf8", maxBuffer: 2 ** 24 },
  );
  if (curl.status !== 0) throw new Error(`upload failed: ${curl.stdout}${curl.stderr}`);
  const uploadSeconds = (performance.now() - sendStarted) / 1000;
  const { upload } = JSON.parse(curl.stdout) as { upload: { id: string } };
  console.log(`upload: ${uploadSeconds.toFixed(1)} s`);

  let t = performance.now();
  await trpc("datanets.validateUpload", { uploadId: upload.id });
  const validateCallMs = performance.now() - t;
  const validate = await follow(upload.id, "validate");
  t = performance.now();
  await trpc("datanets.importUpload", { uploadId: upload.id });
  const importCallMs = performance.now() - t;
  const imported = await follow(upload.id, "import");

  const results = {
    benchmark: "server-upload",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    database: args.get("database") ?? "pglite",
    fileMiB: Number(sizeMiB.toFixed(1)),
    uploadSeconds: Number(uploadSeconds.toFixed(1)),
    validate: { callMs: Math.round(validateCallMs), ...validate, upload: undefined, rows: validate.upload.processedRows, validRows: validate.upload.validRows, error: validate.upload.error },
    import: { callMs: Math.round(importCallMs), ...imported, upload: undefined, status: imported.upload.status, imported: imported.upload.validRows, error: imported.upload.error },
    serverPeakRssMiB: Math.round(memory().hwmMiB),
  };
  console.log(JSON.stringify(results, null, 2));
  writeFileSync(path.join("bench", "results", `server-upload-${results.database}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
