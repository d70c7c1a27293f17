import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { leaseResponse, protocolJsonSchema, uploadUrlRequest } from "@/server/jobs/protocol";

const committed = path.join(import.meta.dirname, "../../../gpu-worker/tributary_worker/protocol.schema.json");

describe("worker protocol JSON Schema", () => {
  it("the committed file is what server/jobs/protocol.ts generates (run npm run worker:schema)", () => {
    expect(JSON.parse(readFileSync(committed, "utf8"))).toEqual(protocolJsonSchema());
  });

  it("lists every message with references that resolve inside the file", () => {
    const schema = protocolJsonSchema() as { $defs: Record<string, unknown> };
    const refs = [...JSON.stringify(schema).matchAll(/"\$ref":"#\/\$defs\/([A-Za-z]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(schema.$defs).toHaveProperty(ref!);
  });

  it("refuses artifact names that climb out of the job's folder", () => {
    const leaseId = "7d3c1f4e-8a2b-4c5d-9e6f-0a1b2c3d4e5f";
    expect(uploadUrlRequest.safeParse({ leaseId, name: "adapter/adapter_model.safetensors", contentType: null }).success).toBe(true);
    for (const name of ["../x", "a/../../b", "/etc/passwd", "a//b", ""]) {
      expect(uploadUrlRequest.safeParse({ leaseId, name, contentType: null }).success).toBe(false);
    }
  });

  it("a lease answer without a job is valid, one with an unknown payload kind is not", () => {
    expect(leaseResponse.safeParse({ job: null }).success).toBe(true);
    const job = { id: "7d3c1f4e-8a2b-4c5d-9e6f-0a1b2c3d4e5f", leaseId: "7d3c1f4e-8a2b-4c5d-9e6f-0a1b2c3d4e5f", kind: "finetune", attempt: 1 };
    expect(leaseResponse.safeParse({ job: { ...job, payload: { kind: "mine-bitcoin" } } }).success).toBe(false);
  });
});
