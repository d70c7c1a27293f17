// `npm run dev`: migrates the embedded (or configured) database, then serves the app.
// Later parts (services loop, local chain, local worker) start from here too.
import { spawn } from "node:child_process";
import { describeError, migrateConfiguredDatabase } from "./migrate";

async function main() {
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  await migrateConfiguredDatabase();
  const next = spawn("npx", ["next", "dev", ...process.argv.slice(2)], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => next.kill(signal));
  next.on("exit", (code) => process.exit(code ?? 0));
}

main().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
