// Table primitives: styled native table elements; the wrapper scrolls sideways on narrow screens.
import type { ComponentProps } from "react";
import { cn } from "./cn";

type TableProps = ComponentProps<"table"> & {
  /** Read to screen readers to say what the table lists; not shown visually. */
  caption?: string;
};

export function Table({ caption, className, children, ...props }: TableProps) {
  return (
    <div className="relative overflow-x-auto rounded-card border border-gray-200 bg-white">
      <table className={cn("min-w-full text-left text-sm", className)} {...props}>
        {caption && <caption className="sr-only">{caption}</caption>}
        {children}
      </table>
    </div>
  );
}

export function THead({ className, ...props }: ComponentProps<"thead">) {
  return <thead className={cn("border-b border-gray-200 bg-gray-50", className)} {...props} />;
}

export function TBody({ className, ...props }: ComponentProps<"tbody">) {
  return <tbody className={cn("divide-y divide-gray-200", className)} {...props} />;
}

export function TR(props: ComponentProps<"tr">) {
  return <tr {...props} />;
}

export function TH({ scope = "col", className, ...props }: ComponentProps<"th">) {
  return (
    <th
      scope={scope}
      className={cn("px-4 py-3 text-xs font-semibold tracking-wide whitespace-nowrap text-gray-600 uppercase", className)}
      {...props}
    />
  );
}

/** Cells do not wrap, so narrow screens scroll the table instead; pass `whitespace-normal!` for long prose. */
export function TD({ className, ...props }: ComponentProps<"td">) {
  return <td className={cn("px-4 py-3 align-middle whitespace-nowrap text-gray-700", className)} {...props} />;
}
