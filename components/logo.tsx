// The Tributary wordmark: streams joining into one.
import Link from "next/link";

export function Logo({ href = "/" }: { href?: string }) {
  return (
    <Link href={href} className="inline-flex items-center gap-2 rounded-control text-gray-900">
      <svg viewBox="0 0 24 24" className="size-7 text-brand-600" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
        <path d="M4 4c0 6 4 8 8 10M20 4c0 6-4 8-8 10M12 2v20" />
      </svg>
      <span className="text-lg font-semibold tracking-tight">Tributary</span>
    </Link>
  );
}
