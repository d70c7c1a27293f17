// A warning line on an attribution page: something the reader should know before trusting the
// numbers below it (an indexer behind the chain, earnings without a wallet).
import type { ReactNode } from "react";

export function Notice({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div role="status" className="rounded-control border border-warning-200 bg-warning-50 px-3 py-2 text-sm text-warning-800">
      <p className="font-medium">{title}</p>
      {children && <p className="mt-0.5 break-words">{children}</p>}
    </div>
  );
}
