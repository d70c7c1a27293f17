// `npm test`: every suite in order, continuing past failures, then a summary.
// Locally a suite whose server is missing (Postgres, Chromium) is skipped with a
// notice; with CI=true it fails instead, so CI can never pass without running it.
// `npm test -- unit e2e` runs only the named suites.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

interface Suite {
  name: string;
  command: string;
  /** Why the suite cannot run here, if it cannot. */
  missing?: () => string | null;
}

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const suites: Suite[] = [
  { name: "lint", command: "npx eslint --max-warnings 0 ." },
  { name: "typecheck", command: "npx next typegen && npx tsc --noEmit" },
  { name: "unit", command: "npx vitest run --project pglite" },
  {
    name: "postgres",
    command: "npx vitest run --project postgres",
    missing: () => (process.env.TEST_DATABASE_URL ? null : "TEST_DATABASE_URL is not set (see README: Tests)"),
  },
  { name: "worker", command: "node scripts/worker-tests.mjs" },
  {
    name: "e2e",
    command: "npx playwright test",
    missing: () => (existsSync(chromium) ? null : `no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`),
  },
];

const ci = process.env.CI === "true" || process.env.CI === "1";
const only = process.argv.slice(2);
const unknown = only.filter((name) => !suites.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`Unknown suite(s): ${unknown.join(", ")}. Suites: ${suites.map((s) => s.name).join(", ")}.`);
  process.exit(2);
}

const results: { name: string; outcome: "passed" | "failed" | "skipped"; seconds: number; note?: string }[] = [];
for (const suite of suites.filter((s) => only.length === 0 || only.includes(s.name))) {
  const missing = suite.missing?.() ?? null;
  if (missing) {
    console.log(`\n── ${suite.name}: ${ci ? "FAILED" : "skipped"}: ${missing}`);
    results.push({ name: suite.name, outcome: ci ? "failed" : "skipped", seconds: 0, note: missing });
    continue;
  }
  console.log(`\n── ${suite.name}: ${suite.command}`);
  const started = Date.now();
  const run = spawnSync(suite.command, { shell: true, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  results.push({ name: suite.name, outcome: run.status === 0 ? "passed" : "failed", seconds });
}

console.log("\n suite      result   time");
for (const r of results) {
  console.log(` ${r.name.padEnd(10)} ${r.outcome.padEnd(8)} ${`${r.seconds}s`.padStart(6)}${r.note ? `  ${r.note}` : ""}`);
}
const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
const skipped = count("skipped");
console.log(`suites: ${count("passed")} passed, ${count("failed")} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(count("failed") > 0 ? 1 : 0);
