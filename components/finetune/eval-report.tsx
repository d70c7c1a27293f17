// A version's evaluation on held-out examples: base vs tuned loss and perplexity, and sample
// answers of both next to the reference.
import { formatCount } from "@/components/datanets/detail/format";
import { Table, TBody, TD, TH, THead, TR, cn } from "@/components/ui";
import { formatLoss, formatPerplexity } from "./format";
import type { EvalReport as Report } from "./types";

function Change({ base, tuned }: { base: number | null; tuned: number | null }) {
  if (base === null || tuned === null || base === 0) return null;
  const change = (tuned - base) / base;
  const better = change < 0;
  return (
    <span className={cn("ml-2 text-xs font-medium", better ? "text-success-700" : "text-danger-700")}>
      {better ? "▼" : "▲"} {Math.abs(change * 100).toFixed(0)}% {better ? "lower" : "higher"}
    </span>
  );
}

function Figure({ label, hint, base, tuned, format }: { label: string; hint: string; base: number | null; tuned: number | null; format: (v: number | null) => string }) {
  return (
    <div className="rounded-control border border-gray-200 p-3">
      <dt className="text-sm font-medium text-gray-900">{label}</dt>
      <dd className="mt-1 text-sm text-gray-700">
        <span className="tabular-nums">base {format(base)}</span> → <strong className="text-gray-900 tabular-nums">tuned {format(tuned)}</strong>
        <Change base={base} tuned={tuned} />
        <span className="mt-1 block text-xs text-gray-600">{hint}</span>
      </dd>
    </div>
  );
}

/** The prompt as it reads: the last user turn, with any system prompt above it; a text's opening words with an ellipsis. */
function promptText(prompt: Report["samples"][number]["prompt"]): string {
  if (typeof prompt === "string") return `${prompt} …`;
  const user = prompt.filter((m) => m.role === "user").at(-1)?.content ?? prompt.at(-1)?.content ?? "";
  const system = prompt.find((m) => m.role === "system")?.content;
  return system ? `[system] ${system}\n${user}` : user;
}

export function EvalReport({ report }: { report: Report }) {
  return (
    <div className="space-y-4">
      <p className="text-sm text-gray-700">
        Measured on {formatCount(report.examples)} held-out {report.examples === 1 ? "example" : "examples"} the model did not train on.
      </p>
      <dl className="grid gap-3 sm:grid-cols-2">
        <Figure label="Loss" hint="How surprised the model is by the reference answers. Lower is better." base={report.baseLoss} tuned={report.tunedLoss} format={formatLoss} />
        <Figure label="Perplexity" hint="The same, as the number of equally likely next tokens. Lower is better." base={report.basePerplexity} tuned={report.tunedPerplexity} format={formatPerplexity} />
      </dl>
      {report.samples.length > 0 && (
        <Table caption="Sample answers">
          <THead>
            <TR>
              <TH>Prompt</TH>
              <TH>Reference</TH>
              <TH>Base model</TH>
              <TH>Tuned model</TH>
            </TR>
          </THead>
          <TBody>
            {report.samples.map((s, i) => (
              <TR key={i}>
                {[promptText(s.prompt), s.reference, s.base, s.tuned].map((text, j) => (
                  <TD key={j} className={cn("min-w-48 align-top whitespace-pre-wrap! [overflow-wrap:anywhere]", j === 3 ? "text-gray-900" : "text-gray-700")}>
                    {text || <span className="text-gray-600 italic">(empty)</span>}
                  </TD>
                ))}
              </TR>
            ))}
          </TBody>
        </Table>
      )}
    </div>
  );
}
