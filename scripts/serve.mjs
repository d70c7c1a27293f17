// The app's server: `npm start` runs it, `npm run dev` runs it with --dev. Next.js answers the
// pages and /api; the public OpenAI-compatible API under /v1 is answered ahead of Next on Node's
// own request and response, by the handler the app bundle hands over when the process starts
// (instrumentation.ts → server/serving/app-v1-api.ts). As a Next route handler, every /v1 call
// paid for a WHATWG Request and Response with their body streams: about as much CPU as the rest
// of the gateway's work, and at 1,000 calls/s on two cores the latency tail that came with it
// (bench/README.md, gateway overhead).
// Options: --dev; -p/--port N (else PORT, else 3000); -H/--hostname HOST (else every interface).
import http from "node:http";
import next from "next";

const args = process.argv.slice(2);
/** The value after `names` in the arguments (or inside --name=value), else `fallback`. */
function option(names, fallback) {
  for (let i = 0; i < args.length; i++) {
    if (names.includes(args[i]) && args[i + 1] !== undefined) return args[i + 1];
    const [name, value] = args[i].split("=", 2);
    if (value !== undefined && names.includes(name)) return value;
  }
  return fallback;
}

const dev = args.includes("--dev");
const port = Number(option(["-p", "--port"], process.env.PORT ?? "3000"));
const hostname = option(["-H", "--hostname"], undefined);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: the port must be a number from 0 to 65535 (got ${JSON.stringify(option(["-p", "--port"], process.env.PORT))}); pass -p 3000 or set PORT.`);
  process.exit(2);
}

// Filled by the app bundle (provideV1Api) once Next has loaded its instrumentation.
let provide;
const v1 = new Promise((resolve) => (provide = resolve));
globalThis.tributaryV1 = { provide };

const isV1 = (url) => url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?");
const server = http.createServer((req, res) => {
  if (isV1(req.url ?? "/")) void v1.then((api) => api.handle(req, res));
  else void handle(req, res);
});
const app = next({ dev, hostname: hostname ?? "localhost", port, httpServer: server });
const handle = app.getRequestHandler();
await app.prepare();
server.listen(port, hostname, () => console.log(`Tributary ${dev ? "(dev) " : ""}listening on http://${hostname ?? "localhost"}:${port}`));

// A stop writes the usage and answered calls still waiting for their batch.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    server.close();
    const api = await Promise.race([v1, new Promise((resolve) => setTimeout(resolve, 1000, null))]);
    await api?.flushUsage().catch((error) => console.error("stopping: usage not written", error));
    process.exit(0);
  });
}
