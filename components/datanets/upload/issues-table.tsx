// The first problems of a validated upload, one line each as the full report words them.
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { formatIssue } from "@/server/datanets/parse/issues";
import type { Upload } from "./types";

/** The upload row keeps this many issues; the report blob has all of them. */
const ISSUES_KEPT = 100;

export function IssuesTable({ upload }: { upload: Upload }) {
  const { issues } = upload;
  if (issues.length === 0) return null;
  const rowsWithProblems = upload.errorRows + upload.duplicateRows;
  const summary =
    issues.length < ISSUES_KEPT
      ? `${issues.length.toLocaleString()} problem${issues.length === 1 ? "" : "s"} in ${rowsWithProblems.toLocaleString()} row${rowsWithProblems === 1 ? "" : "s"}.`
      : `The first ${ISSUES_KEPT} problems; ${rowsWithProblems.toLocaleString()} rows have problems in all. Download the full report for every one.`;
  return (
    <div className="space-y-2">
      <p className="text-sm text-gray-700">{summary}</p>
      <div className="max-h-80 overflow-y-auto rounded-card">
        <Table caption={`Problems found in ${upload.fileName}`}>
          <THead>
            <TR>
              <TH>Problem and fix</TH>
              <TH>Field</TH>
            </TR>
          </THead>
          <TBody>
            {issues.map((issue, i) => (
              <TR key={i}>
                <TD className="font-mono text-xs whitespace-normal! text-gray-900">{formatIssue(undefined, issue)}</TD>
                <TD className="font-mono text-xs">{issue.field || "—"}</TD>
              </TR>
            ))}
          </TBody>
        </Table>
      </div>
    </div>
  );
}
