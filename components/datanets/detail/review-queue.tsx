"use client";
// The Review tab (owners and admins): pending contributions with per-row and bulk
// accept / reject. Rejecting asks for a reason the contributor sees.
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, EmptyState, Spinner, Table, TBody, TD, TH, THead, TR, useToast } from "@/components/ui";
import { formatCount, plural, recordPreview } from "./format";
import { Pagination, pageSizes } from "./pagination";
import { RecordDialog } from "./record-dialog";
import { RejectDialog } from "./reject-dialog";
import type { DatanetRef, RecordRow } from "./types";
import { useRefreshDatanet } from "./use-curation";

function SelectAll({ checked, indeterminate, onChange }: { checked: boolean; indeterminate: boolean; onChange: (on: boolean) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  // `indeterminate` has no HTML attribute; it can only be set on the element.
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate;
  }, [indeterminate]);
  return (
    <input
      ref={ref}
      type="checkbox"
      aria-label="Select all on this page"
      checked={checked}
      onChange={(e) => onChange(e.target.checked)}
      className="size-4 cursor-pointer accent-brand-700"
    />
  );
}

export function ReviewQueue({ orgSlug, datanetSlug }: DatanetRef) {
  const trpc = useTRPC();
  const { toast } = useToast();
  const refresh = useRefreshDatanet({ orgSlug, datanetSlug });
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [rejecting, setRejecting] = useState<string[]>([]);
  const [open, setOpen] = useState<RecordRow | null>(null);

  const pending = useQuery({
    ...trpc.datanets.records.queryOptions({ orgSlug, datanetSlug, status: "pending", page, pageSize: pageSizes.review }),
    placeholderData: keepPreviousData,
  });
  const review = useMutation(trpc.datanets.review.mutationOptions());
  const rows = pending.data?.rows ?? [];
  const total = pending.data?.total ?? 0;
  const chosen = rows.filter((r) => selected.has(r.id)).map((r) => r.id);

  async function decide(recordIds: string[], decision: "accepted" | "rejected", reason?: string) {
    const { changed } = await review.mutateAsync({ orgSlug, datanetSlug, recordIds, decision, reason });
    toast({ title: `${plural(changed, "record")} ${decision}`, variant: "success", description: decision === "rejected" ? "The contributor sees your reason." : "They go into the next published version." });
    setSelected((current) => new Set([...current].filter((id) => !recordIds.includes(id))));
    // Reviewing a whole last page would leave it empty: step back to the one before.
    if (page > 1 && recordIds.length >= rows.length) setPage(page - 1);
    await refresh();
  }

  function accept(recordIds: string[]) {
    decide(recordIds, "accepted").catch((error: unknown) => toast({ title: "Not accepted", description: serverErrors(error).message, variant: "error" }));
  }

  function toggle(id: string, on: boolean) {
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  if (pending.isPending) return <p className="flex items-center gap-2 text-sm text-gray-600"><Spinner /> Loading contributions…</p>;
  if (pending.error) return <FormAlert message={serverErrors(pending.error).message} />;
  if (total === 0) {
    return <EmptyState title="Nothing to review" description="New contributions from people outside this organization wait here until an owner or admin accepts or rejects them." />;
  }

  const busy = review.isPending;
  return (
    <section aria-label="Contributions to review" className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <p className="text-sm text-gray-700">
          {chosen.length > 0 ? `${plural(chosen.length, "record")} selected` : "Read each record, then accept it into the Datanet or reject it with a reason."}
        </p>
        <div className="flex gap-2">
          <Button size="sm" disabled={chosen.length === 0} loading={busy && review.variables?.decision === "accepted" && review.variables.recordIds.length > 1} onClick={() => accept(chosen)}>
            Accept selected
          </Button>
          <Button size="sm" variant="secondary" disabled={chosen.length === 0 || busy} onClick={() => setRejecting(chosen)}>
            Reject selected
          </Button>
        </div>
      </div>
      <Table caption="Pending records" aria-busy={pending.isFetching || undefined}>
        <THead>
          <TR>
            <TH className="w-10">
              <SelectAll
                checked={rows.length > 0 && chosen.length === rows.length}
                indeterminate={chosen.length > 0 && chosen.length < rows.length}
                onChange={(on) => setSelected(on ? new Set(rows.map((r) => r.id)) : new Set())}
              />
            </TH>
            <TH>Record</TH>
            <TH>Contributor</TH>
            <TH>Source</TH>
            <TH className="text-right">Tokens</TH>
            <TH><span className="sr-only">Decision</span></TH>
          </TR>
        </THead>
        <TBody>
          {rows.map((row) => {
            const preview = recordPreview(row.training, 70);
            return (
              <TR key={row.id} className={selected.has(row.id) ? "bg-brand-50" : undefined}>
                <TD>
                  <input
                    type="checkbox"
                    aria-label={`Select “${preview}”`}
                    checked={selected.has(row.id)}
                    onChange={(e) => toggle(row.id, e.target.checked)}
                    className="size-4 cursor-pointer accent-brand-700"
                  />
                </TD>
                <TD className="max-w-[24rem] truncate">
                  <button type="button" className="cursor-pointer text-left font-medium text-gray-900 hover:text-brand-800" onClick={() => setOpen(row)}>
                    {preview}
                  </button>
                </TD>
                <TD>{row.contributorName ?? "Deleted account"}</TD>
                <TD className="max-w-[12rem] truncate font-mono text-xs" title={`${row.sourceFile}:${row.sourceLine}`}>{row.sourceFile}:{row.sourceLine}</TD>
                <TD className="text-right tabular-nums">{formatCount(row.tokens)}</TD>
                <TD className="text-right">
                  <div className="flex justify-end gap-1">
                    <Button size="sm" variant="ghost" disabled={busy} onClick={() => accept([row.id])}>
                      Accept<span className="sr-only"> “{preview}”</span>
                    </Button>
                    <Button size="sm" variant="ghost" disabled={busy} onClick={() => setRejecting([row.id])}>
                      Reject<span className="sr-only"> “{preview}”</span>
                    </Button>
                  </div>
                </TD>
              </TR>
            );
          })}
        </TBody>
      </Table>
      <Pagination page={page} pageSize={pageSizes.review} total={total} noun="pending record" onPage={setPage} busy={pending.isFetching} />
      <RecordDialog record={open} onClose={() => setOpen(null)} />
      <RejectDialog recordIds={rejecting} onClose={() => setRejecting([])} onReject={(reason) => decide(rejecting, "rejected", reason)} />
    </section>
  );
}
