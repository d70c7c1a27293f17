// A ranked list with a bar per row: what each model, Datanet or contributor earned of the total.
// Bars are drawn with CSS so long names wrap on a phone instead of widening the page.
import Link from "next/link";
import type { ReactNode } from "react";
import { Card, CardBody, CardHeader } from "@/components/ui";
import { plural } from "@/components/datanets/detail/format";
import { formatAmount, formatShare, toEth } from "./format";
import { modelLabel } from "./types";

export interface BarRow {
  key: string;
  label: ReactNode;
  href?: string | null;
  /** What the bar measures, as a number (its share of the sum is the bar's length). */
  value: number;
  /** The value as the row writes it. */
  display: string;
  detail?: ReactNode;
}

export function BarList({ rows, label }: { rows: BarRow[]; label: string }) {
  const total = rows.reduce((t, r) => t + r.value, 0) || 1;
  return (
    <ul aria-label={label} className="space-y-3">
      {rows.map((row) => {
        const share = row.value / total;
        return (
          <li key={row.key} className="min-w-0">
            <div className="flex flex-wrap items-baseline justify-between gap-x-3 text-sm">
              <span className="min-w-0 font-medium break-words text-gray-900">
                {row.href ? <Link href={row.href} className="text-brand-800 underline-offset-2 hover:underline">{row.label}</Link> : row.label}
              </span>
              <span className="tabular-nums text-gray-700">
                {row.display} <span className="text-gray-500">· {formatShare(share)}</span>
              </span>
            </div>
            <div className="mt-1 h-2 overflow-hidden rounded-full bg-gray-100" role="presentation">
              <div className="h-full rounded-full bg-brand-600" style={{ width: `${Math.max(share * 100, 1)}%` }} />
            </div>
            {row.detail && <p className="mt-1 text-xs text-gray-600">{row.detail}</p>}
          </li>
        );
      })}
    </ul>
  );
}

/** A card holding one ranked list, for the side-by-side breakdowns. */
export function BarCard({ title, description, rows }: { title: string; description: string; rows: BarRow[] }) {
  return (
    <Card>
      <CardHeader as="h3" title={title} description={description} />
      <CardBody>
        <BarList label={title} rows={rows} />
      </CardBody>
    </Card>
  );
}

/** Models by what they earned, linked to their attribution page when the viewer may see them. */
export function modelBars(models: { modelId: string; name: string | null; slug: string | null; orgSlug: string | null; amount: string; inferences: number }[]): BarRow[] {
  return models.map((m) => ({
    key: m.modelId,
    label: modelLabel(m),
    href: m.slug && m.orgSlug ? `/${m.orgSlug}/attribution/models/${m.slug}` : null,
    value: toEth(m.amount),
    display: formatAmount(m.amount),
    detail: plural(m.inferences, "answer"),
  }));
}

/** Contributors by what they earned, with their wallet (or that they have none) below. */
export function contributorBars(contributors: { label: string; wallet: string | null; amount: string; inferences: number }[], key: (i: number) => string = (i) => String(i)): BarRow[] {
  return contributors.map((c, i) => ({
    key: key(i),
    label: c.label,
    value: toEth(c.amount),
    display: formatAmount(c.amount),
    detail: `${plural(c.inferences, "answer")} · ${c.wallet ?? "no wallet: kept by account"}`,
  }));
}
