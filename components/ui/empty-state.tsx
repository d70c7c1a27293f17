// EmptyState: what a list or page shows when it has nothing yet, with an optional next step.
import type { ReactNode } from "react";

type EmptyStateProps = {
  title: string;
  description: string;
  /** Decorative; hidden from screen readers. */
  icon?: ReactNode;
  /** Usually a Button or a Link styled with buttonClasses. */
  action?: ReactNode;
  /** "h1" when the empty state is the whole page, so the page has a heading. */
  titleAs?: "h1" | "h2" | "p";
};

export function EmptyState({ title, description, icon, action, titleAs: Title = "p" }: EmptyStateProps) {
  return (
    <div className="flex flex-col items-center rounded-card border border-dashed border-gray-300 bg-white px-6 py-12 text-center">
      {icon && (
        <div aria-hidden="true" className="mb-4 text-gray-400 [&_svg]:size-10">
          {icon}
        </div>
      )}
      <Title className="text-base font-semibold text-gray-900">{title}</Title>
      <p className="mt-1 max-w-sm text-sm text-gray-600">{description}</p>
      {action && <div className="mt-6">{action}</div>}
    </div>
  );
}
