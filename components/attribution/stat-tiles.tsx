// A row of headline numbers at the top of a dashboard card.
import type { ReactNode } from "react";

export interface Stat {
  label: string;
  value: ReactNode;
  hint?: ReactNode;
}

export function StatTiles({ stats }: { stats: Stat[] }) {
  return (
    <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
      {stats.map((s) => (
        <div key={s.label} className="min-w-0 rounded-control border border-gray-200 bg-gray-50 px-3 py-2">
          <dt className="text-xs font-medium text-gray-600">{s.label}</dt>
          <dd className="mt-0.5 text-base font-semibold break-words text-gray-900 tabular-nums sm:text-lg">{s.value}</dd>
          {s.hint && <dd className="text-xs text-gray-600">{s.hint}</dd>}
        </div>
      ))}
    </dl>
  );
}
