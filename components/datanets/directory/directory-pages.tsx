// Previous / next links for the directory: plain GET links, so paging works without JavaScript.
import Link from "next/link";
import { buttonClasses, cn } from "@/components/ui";
import { formatCount } from "@/components/datanets/detail/format";

function href(search: string, page: number) {
  const params = new URLSearchParams();
  if (search) params.set("q", search);
  if (page > 1) params.set("page", String(page));
  const query = params.toString();
  return `/datanets/directory${query ? `?${query}` : ""}`;
}

export function DirectoryPages({ search, page, pages }: { search: string; page: number; pages: number }) {
  if (pages <= 1) return null;
  const disabled = "pointer-events-none opacity-60";
  return (
    <nav aria-label="Directory pages" className="flex items-center justify-between gap-3 text-sm text-gray-600">
      <Link href={href(search, page - 1)} aria-disabled={page <= 1} tabIndex={page <= 1 ? -1 : undefined} className={cn(buttonClasses("secondary", "sm"), page <= 1 && disabled)}>
        Previous
      </Link>
      <p>Page {formatCount(page)} of {formatCount(pages)}</p>
      <Link href={href(search, page + 1)} aria-disabled={page >= pages} tabIndex={page >= pages ? -1 : undefined} className={cn(buttonClasses("secondary", "sm"), page >= pages && disabled)}>
        Next
      </Link>
    </nav>
  );
}
