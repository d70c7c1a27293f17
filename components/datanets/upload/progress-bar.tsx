// A labelled progress bar with its figure on the right: bytes sent, or bytes of a file checked.
export function ProgressBar({ fraction, label, figure }: { fraction: number; label: string; figure?: string }) {
  const percent = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div className="mt-2 flex items-center gap-3">
      <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} className="h-2 flex-1 overflow-hidden rounded-full bg-gray-200">
        <div className="h-full rounded-full bg-brand-600 transition-[width]" style={{ width: `${percent}%` }} />
      </div>
      <span className="w-20 text-right text-xs text-gray-600 tabular-nums">{figure ?? `${percent}%`}</span>
    </div>
  );
}
