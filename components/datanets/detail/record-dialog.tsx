"use client";
// One record as the model will see it: the prompt it reads (no loss) and the answer it
// learns to write, with the warnings the trainer would raise and the record's provenance.
import { Badge, Button, Dialog } from "@/components/ui";
import { formatCount, formatDateTime, statusBadges } from "./format";
import type { RecordRow } from "./types";

function Segments({ segments, empty }: { segments: string[]; empty: string }) {
  if (segments.length === 0) return <p className="text-sm text-gray-600 italic">{empty}</p>;
  return (
    <ol className="space-y-2">
      {segments.map((text, i) => (
        <li key={i} className="max-h-64 overflow-y-auto text-sm leading-6 break-words whitespace-pre-wrap text-gray-900">{text}</li>
      ))}
    </ol>
  );
}

export function RecordDialog({ record, onClose }: { record: RecordRow | null; onClose: () => void }) {
  const status = record ? statusBadges[record.status] : undefined;
  return (
    <Dialog
      open={record !== null}
      onClose={onClose}
      title="What the model will learn"
      description="Training computes its loss only on the answer; the prompt is context the model reads."
      footer={<Button variant="secondary" onClick={onClose}>Close</Button>}
    >
      {record && (
        <div className="space-y-4">
          {record.training.warnings.length > 0 && (
            <ul className="space-y-2" aria-label="Warnings">
              {record.training.warnings.map((w, i) => (
                <li key={i} className="flex flex-wrap items-baseline gap-2 text-sm text-warning-800">
                  <Badge variant="warning">{w.kind}</Badge>
                  <span>{w.message}</span>
                </li>
              ))}
            </ul>
          )}
          <section aria-labelledby="record-prompt" className="rounded-control border border-gray-200 bg-gray-50 p-3">
            <h3 id="record-prompt" className="mb-2 text-xs font-semibold tracking-wide text-gray-600 uppercase">Prompt (not trained on)</h3>
            <Segments segments={record.training.prompt} empty="No prompt: the model learns the whole text." />
          </section>
          <section aria-labelledby="record-answer" className="rounded-control border border-brand-200 bg-brand-50 p-3">
            <h3 id="record-answer" className="mb-2 text-xs font-semibold tracking-wide text-brand-800 uppercase">Answer (the model learns this)</h3>
            <Segments segments={record.training.answer} empty="Nothing to learn: this record has no answer." />
          </section>
          <dl className="grid grid-cols-[7rem_1fr] gap-x-3 gap-y-2 text-sm">
            <dt className="text-gray-600">Status</dt>
            <dd>{status ? <Badge variant={status.variant}>{status.label}</Badge> : record.status}</dd>
            {record.status === "rejected" && record.reviewReason && (
              <>
                <dt className="text-gray-600">Reason</dt>
                <dd className="text-gray-900">{record.reviewReason}</dd>
              </>
            )}
            <dt className="text-gray-600">Tokens</dt>
            <dd className="text-gray-900">about {formatCount(record.training.tokens)}</dd>
            <dt className="text-gray-600">Contributor</dt>
            <dd className="text-gray-900">{record.contributorName ?? "Deleted account"}</dd>
            <dt className="text-gray-600">Wallet</dt>
            <dd className={record.contributorWallet ? "font-mono text-xs break-all text-gray-900" : "text-gray-600"}>{record.contributorWallet ?? "none linked"}</dd>
            <dt className="text-gray-600">Source</dt>
            <dd className="break-all text-gray-900">{record.sourceFile}:{record.sourceLine}</dd>
            <dt className="text-gray-600">Added</dt>
            <dd className="text-gray-900">{formatDateTime(record.createdAt)}</dd>
            <dt className="text-gray-600">Content hash</dt>
            <dd className="font-mono text-xs break-all text-gray-900">{record.contentHash}</dd>
          </dl>
        </div>
      )}
    </Dialog>
  );
}
