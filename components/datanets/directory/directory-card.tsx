// One public Datanet in the directory: what it is, who runs it, and how big it is.
import Link from "next/link";
import { Badge } from "@/components/ui";
import { formatCompact, formatLabels, licenseLabel } from "@/components/datanets/detail/format";
import type { DirectoryRow } from "@/components/datanets/detail/types";

export function DirectoryCard({ datanet }: { datanet: DirectoryRow }) {
  const figures = [
    ["records", datanet.records],
    ["contributors", datanet.contributors],
    ["tokens", datanet.tokens],
  ] as const;
  return (
    <li className="flex flex-col rounded-card border border-gray-200 bg-white p-5 shadow-sm">
      <h2 className="text-base font-semibold break-words text-gray-900">
        <Link href={`/contribute/${datanet.id}`} className="underline-offset-2 hover:underline">
          {datanet.name}
        </Link>
      </h2>
      <p className="text-sm text-gray-600">by {datanet.orgName}</p>
      {datanet.summary && <p className="mt-2 text-sm text-gray-700">{datanet.summary}</p>}
      {datanet.tags.length > 0 && (
        <ul className="mt-3 flex flex-wrap gap-1" aria-label="Tags">
          {datanet.tags.map((tag) => <li key={tag}><Badge variant="brand">{tag}</Badge></li>)}
        </ul>
      )}
      <dl className="mt-auto grid grid-cols-3 gap-2 pt-4 text-sm">
        {figures.map(([label, n]) => (
          <div key={label}>
            <dt className="text-xs text-gray-600">{label}</dt>
            <dd className="font-semibold text-gray-900 tabular-nums">{formatCompact(n)}</dd>
          </div>
        ))}
      </dl>
      <div className="mt-3 flex flex-wrap gap-2 border-t border-gray-200 pt-3">
        <Badge>{formatLabels[datanet.recordFormat] ?? datanet.recordFormat} format</Badge>
        <Badge>{licenseLabel(datanet.license)}</Badge>
      </div>
    </li>
  );
}
