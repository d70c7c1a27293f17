// The wizard's progress: every step numbered, done ones ticked, the current one named.
import { cn } from "@/components/ui";

export function Stepper({ steps, current }: { steps: readonly string[]; current: number }) {
  return (
    <nav aria-label="Progress" className="mb-6">
      <p className="mb-3 text-sm text-gray-600 sm:hidden">
        Step {current + 1} of {steps.length}: <strong className="text-gray-900">{steps[current]}</strong>
      </p>
      <ol className="flex items-center gap-2">
        {steps.map((label, i) => {
          const done = i < current;
          const active = i === current;
          return (
            <li key={label} aria-current={active ? "step" : undefined} className="flex min-w-0 flex-1 items-center gap-2">
              <span
                className={cn(
                  "inline-flex size-7 shrink-0 items-center justify-center rounded-full text-xs font-semibold",
                  done && "bg-brand-700 text-white",
                  active && "bg-white text-brand-800 ring-2 ring-brand-700",
                  !done && !active && "bg-white text-gray-600 ring-1 ring-gray-300",
                )}
              >
                {done ? (
                  <svg viewBox="0 0 20 20" fill="currentColor" className="size-4" aria-hidden="true">
                    <path fillRule="evenodd" d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.6l7.3-7.3a1 1 0 0 1 1.4 0Z" clipRule="evenodd" />
                  </svg>
                ) : (
                  i + 1
                )}
              </span>
              <span className={cn("hidden truncate text-sm sm:inline", active ? "font-semibold text-gray-900" : "text-gray-600")}>
                {label}
                {done && <span className="sr-only"> (done)</span>}
              </span>
              {i < steps.length - 1 && <span aria-hidden="true" className={cn("h-px flex-1", done ? "bg-brand-700" : "bg-gray-300")} />}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
