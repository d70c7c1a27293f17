// Card primitives: a bordered white surface with optional header, body and footer sections.
import type { ComponentProps, ReactNode } from "react";
import { cn } from "./cn";

export function Card({ className, ...props }: ComponentProps<"div">) {
  return <div className={cn("rounded-card border border-gray-200 bg-white shadow-sm", className)} {...props} />;
}

type CardHeaderProps = {
  title: ReactNode;
  description?: ReactNode;
  /** Buttons or links shown at the right of the title (wrapping below it on narrow screens). */
  actions?: ReactNode;
  /** Heading level, so the card fits the page's outline. */
  as?: "h2" | "h3" | "h4";
  className?: string;
};

export function CardHeader({ title, description, actions, as: Heading = "h2", className }: CardHeaderProps) {
  return (
    <div
      className={cn(
        "flex flex-wrap items-start justify-between gap-3 border-b border-gray-200 px-4 py-4 sm:px-6",
        className,
      )}
    >
      <div className="min-w-0">
        <Heading className="text-base font-semibold text-gray-900">{title}</Heading>
        {description && <p className="mt-1 text-sm text-gray-600">{description}</p>}
      </div>
      {actions && <div className="flex max-w-full flex-wrap items-center gap-2">{actions}</div>}
    </div>
  );
}

export function CardBody({ className, ...props }: ComponentProps<"div">) {
  return <div className={cn("px-4 py-4 sm:px-6", className)} {...props} />;
}

export function CardFooter({ className, ...props }: ComponentProps<"div">) {
  return (
    <div
      className={cn(
        "flex flex-wrap items-center justify-end gap-2 rounded-b-card border-t border-gray-200 bg-gray-50 px-4 py-3 sm:px-6",
        className,
      )}
      {...props}
    />
  );
}
