// Writes the worker protocol's JSON Schema (from server/jobs/protocol.ts) to the file the
// Python worker is tested against; tests/unit/jobs/protocol-schema.test.ts fails when it is stale.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { protocolJsonSchema } from "@/server/jobs/protocol";

const file = path.join(import.meta.dirname, "..", "gpu-worker", "tributary_worker", "protocol.schema.json");
writeFileSync(file, `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
