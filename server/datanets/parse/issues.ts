// The result every upload parser yields per record, and how a problem is told to the user:
// where (line, field), what was wrong, and what to do about it.
import type { z } from "zod";
import type { RecordContent } from "@/server/datanets/records";

/** `line` is 1-based; 0 means the file as a whole. For PDFs it is the page number. */
export type Issue = { line: number; field: string; message: string; fix: string };

export type ParseResult =
  | { ok: true; file: string; line: number; content: RecordContent }
  | { ok: false; file: string; line: number; errors: Issue[] };

/** `data.jsonl, line 17: messages[2].role is "bot"; use one of system, user, assistant` */
export function formatIssue(fileName: string | undefined, issue: Issue): string {
  const where = issue.line > 0 ? `line ${issue.line}` : "";
  const prefix = [fileName, where].filter(Boolean).join(", ");
  return `${prefix ? `${prefix}: ` : ""}${issue.message}; ${issue.fix}`;
}

export function failure(file: string, line: number, field: string, message: string, fix: string): ParseResult {
  return { ok: false, file, line, errors: [{ line, field, message, fix }] };
}

/** `messages[2].role` from a zod path, after an optional prefix such as a CSV column. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${shown(value)}`;
}

const article = (expected: string) => (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);

/** One user-facing issue per zod issue. Parse with `{ reportInput: true }` so the bad value can be quoted. */
export function issuesFromZod(line: number, error: z.ZodError): Issue[] {
  return error.issues.map((zi) => {
    const field = fieldPath(zi.path) || "record";
    const input: unknown = zi.input;
    switch (zi.code) {
      case "invalid_value":
        return { line, field, message: `${field} is ${shown(input)}`, fix: `use one of ${zi.values.map(String).join(", ")}` };
      case "invalid_type":
        if (input === undefined) return { line, field, message: `${field} is missing`, fix: `add ${field} (${article(zi.expected)})` };
        return { line, field, message: `${field} is ${kindOf(input)}, not ${article(zi.expected)}`, fix: `make ${field} ${article(zi.expected)}` };
      case "invalid_union": {
        // Each alternative's complaint about the value itself names a type it would accept.
        const expected = zi.errors.flat().flatMap((b) => (b.code === "invalid_type" && b.path.length === 0 ? [article(b.expected)] : []));
        const accepted = expected.length > 0 ? expected.join(" or ") : "a valid value";
        if (input === undefined) return { line, field, message: `${field} is missing`, fix: `add ${field} (${accepted})` };
        return { line, field, message: `${field} is ${kindOf(input)}, not ${accepted}`, fix: `make ${field} ${accepted}` };
      }
      case "too_small":
        return { line, field, message: `${field} is empty`, fix: `add at least ${String(zi.minimum)} item${Number(zi.minimum) === 1 ? "" : "s"}` };
      case "custom": {
        const fix: unknown = zi.params?.fix;
        return { line, field, message: `${field} ${zi.message}`, fix: typeof fix === "string" ? fix : "correct it" };
      }
      default:
        return { line, field, message: `${field}: ${zi.message}`, fix: "correct it" };
    }
  });
}
