// Prev / Next with "page X of Y" and the total, under a server-paginated table.
import { Button } from "@/components/ui";
import { formatCount } from "./format";

/** Rows per page, shared by the server pages that prefetch and the tables that query. */
export const pageSizes = { records: 25, review: 50 } as const;

interface Props {
  page: number;
  pageSize: number;
  total: number;
  /** What is counted, e.g. "record" (pluralised with an s). */
  noun: string;
  onPage: (page: number) => void;
  busy?: boolean;
}

export function Pagination({ page, pageSize, total, noun, onPage, busy = false }: Props) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav aria-label={`${noun} pages`} className="flex flex-wrap items-center justify-between gap-3 text-sm text-gray-600">
      <p aria-live="polite">
        {formatCount(total)} {total === 1 ? noun : `${noun}s`} · page {formatCount(Math.min(page, pages))} of {formatCount(pages)}
      </p>
      <div className="flex gap-2">
        <Button variant="secondary" size="sm" disabled={busy || page <= 1} onClick={() => onPage(page - 1)}>Previous</Button>
        <Button variant="secondary" size="sm" disabled={busy || page >= pages} onClick={() => onPage(page + 1)}>Next</Button>
      </div>
    </nav>
  );
}
