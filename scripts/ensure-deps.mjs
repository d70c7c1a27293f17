// Installs node_modules from package-lock.json when it is missing or out of date, so
// `npm run dev` and `npm test` work on a fresh clone. Node built-ins only.
import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const lockHash = () => createHash("sha256").update(readFileSync("package-lock.json")).digest("hex");
const marker = "node_modules/.tributary-lock-hash";

if (!existsSync(marker) || readFileSync(marker, "utf8") !== lockHash()) {
  console.log("dependencies: installing from package-lock.json (first run or lock changed)…");
  // `npm install` rather than `npm ci`: with omit-lockfile-registry-resolved (set on these
  // machines) npm ci rejects the lock for other platforms' optional packages.
  execSync("npm install --no-audit --no-fund", { stdio: "inherit" });
  writeFileSync(marker, lockHash());
}
