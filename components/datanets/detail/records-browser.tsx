"use client";
// The Records tab: every record of the Datanet, paginated on the server, filtered by
// status, contributor and a text search; a row opens what the model learns from it.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, EmptyState, Input, Select, Spinner, Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { formatCount, recordPreview, statusBadges } from "./format";
import { Pagination, pageSizes } from "./pagination";
import { RecordDialog } from "./record-dialog";
import type { DatanetRef, RecordRow } from "./types";

const SEARCH_DELAY_MS = 300;

type Status = "" | "pending" | "accepted" | "rejected";

export function RecordsBrowser({ orgSlug, datanetSlug, initialContributorId }: DatanetRef & { initialContributorId?: string }) {
  const trpc = useTRPC();
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<Status>("");
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [contributor, setContributor] = useState<{ id: string; name: string | null } | null>(
    initialContributorId ? { id: initialContributorId, name: null } : null,
  );
  const [open, setOpen] = useState<RecordRow | null>(null);

  useEffect(() => {
    const next = searchText.trim();
    if (next === search) return;
    const timer = setTimeout(() => {
      setSearch(next);
      setPage(1);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [searchText, search]);

  const records = useQuery({
    ...trpc.datanets.records.queryOptions({
      orgSlug,
      datanetSlug,
      page,
      pageSize: pageSizes.records,
      status: status || undefined,
      search: search || undefined,
      contributorId: contributor?.id,
    }),
    placeholderData: keepPreviousData,
  });
  const rows = records.data?.rows ?? [];
  const filtered = Boolean(status || search || contributor);
  const contributorName = contributor?.name ?? rows[0]?.contributorName ?? "one contributor";

  function filterBy(next: () => void) {
    next();
    setPage(1);
  }

  return (
    <section aria-label="Records" className="space-y-4">
      <div className="grid gap-3 sm:grid-cols-[12rem_1fr]">
        <Select label="Status" value={status} onChange={(e) => filterBy(() => setStatus(e.target.value as Status))}>
          <option value="">All records</option>
          <option value="pending">Pending review</option>
          <option value="accepted">Accepted</option>
          <option value="rejected">Rejected</option>
        </Select>
        <Input label="Search" type="search" placeholder="Words in the record's text" value={searchText} onChange={(e) => setSearchText(e.target.value)} />
      </div>
      {contributor && (
        <p className="flex flex-wrap items-center gap-2 text-sm text-gray-700">
          Showing records by <span className="font-medium text-gray-900">{contributorName}</span>
          <Button variant="ghost" size="sm" onClick={() => filterBy(() => setContributor(null))}>Show everyone’s</Button>
        </p>
      )}
      {records.error && <FormAlert message={serverErrors(records.error).message} />}
      {records.isPending ? (
        <p className="flex items-center gap-2 text-sm text-gray-600"><Spinner /> Loading records…</p>
      ) : rows.length === 0 ? (
        <EmptyState
          title={filtered ? "No records match" : "No records yet"}
          description={filtered ? "Try another status, search, or contributor." : "Contributions appear here once someone imports a file into this Datanet."}
        />
      ) : (
        <>
          <Table caption="Records" aria-busy={records.isFetching || undefined}>
            <THead>
              <TR>
                <TH>Record</TH>
                <TH>Status</TH>
                <TH>Contributor</TH>
                <TH>Source</TH>
                <TH className="text-right">Tokens</TH>
              </TR>
            </THead>
            <TBody>
              {rows.map((row) => {
                const badge = statusBadges[row.status];
                return (
                  <TR key={row.id} onClick={() => setOpen(row)} className="cursor-pointer hover:bg-gray-50">
                    <TD className="max-w-[28rem] truncate">
                      <button type="button" className="cursor-pointer text-left font-medium text-gray-900 hover:text-brand-800" onClick={(e) => { e.stopPropagation(); setOpen(row); }}>
                        {recordPreview(row.training)}
                      </button>
                      {row.training.warnings.length > 0 && <Badge variant="warning" className="ml-2">{row.training.warnings.length === 1 ? "1 warning" : `${row.training.warnings.length} warnings`}</Badge>}
                    </TD>
                    <TD>{badge ? <Badge variant={badge.variant}>{badge.label}</Badge> : row.status}</TD>
                    <TD>
                      {row.contributorId ? (
                        <button
                          type="button"
                          title="Show only this contributor's records"
                          className="cursor-pointer text-brand-700 underline-offset-2 hover:underline"
                          onClick={(e) => {
                            e.stopPropagation();
                            filterBy(() => setContributor({ id: row.contributorId as string, name: row.contributorName }));
                          }}
                        >
                          {row.contributorName ?? "Unnamed"}
                        </button>
                      ) : (
                        "Deleted account"
                      )}
                    </TD>
                    <TD className="max-w-[14rem] truncate font-mono text-xs" title={`${row.sourceFile}:${row.sourceLine}`}>{row.sourceFile}:{row.sourceLine}</TD>
                    <TD className="text-right tabular-nums">{formatCount(row.tokens)}</TD>
                  </TR>
                );
              })}
            </TBody>
          </Table>
          <Pagination page={page} pageSize={pageSizes.records} total={records.data?.total ?? 0} noun="record" onPage={setPage} busy={records.isFetching} />
        </>
      )}
      <RecordDialog record={open} onClose={() => setOpen(null)} />
    </section>
  );
}
