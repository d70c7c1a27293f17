// Input, Textarea and Select: native form controls that always carry a label, hint and error.
import type { ComponentProps } from "react";
import { cn } from "./cn";
import { Field, controlClasses, type FieldProps } from "./field";

type InputProps = ComponentProps<"input"> & FieldProps;
type TextareaProps = ComponentProps<"textarea"> & FieldProps;
type SelectProps = ComponentProps<"select"> & FieldProps;

export function Input({ label, hint, error, id, className, ...props }: InputProps) {
  return (
    <Field label={label} hint={hint} error={error} id={id}>
      {(a11y) => <input className={cn(controlClasses(Boolean(error)), "h-10", className)} {...props} {...a11y} />}
    </Field>
  );
}

export function Textarea({ label, hint, error, id, className, rows = 4, ...props }: TextareaProps) {
  return (
    <Field label={label} hint={hint} error={error} id={id}>
      {(a11y) => (
        <textarea rows={rows} className={cn(controlClasses(Boolean(error)), "py-2", className)} {...props} {...a11y} />
      )}
    </Field>
  );
}

export function Select({ label, hint, error, id, className, children, ...props }: SelectProps) {
  return (
    <Field label={label} hint={hint} error={error} id={id}>
      {(a11y) => (
        // The native arrow ignores padding and differs per browser, so draw our own chevron.
        <div className="relative">
          <select
            className={cn(controlClasses(Boolean(error)), "h-10 appearance-none pr-9", className)}
            {...props}
            {...a11y}
          >
            {children}
          </select>
          <svg
            viewBox="0 0 20 20"
            fill="currentColor"
            aria-hidden="true"
            className="pointer-events-none absolute top-1/2 right-3 size-4 -translate-y-1/2 text-gray-600"
          >
            <path d="M5.23 7.21a.75.75 0 0 1 1.06.02L10 11.17l3.71-3.94a.75.75 0 1 1 1.08 1.04l-4.25 4.5a.75.75 0 0 1-1.08 0l-4.25-4.5a.75.75 0 0 1 .02-1.06Z" />
          </svg>
        </div>
      )}
    </Field>
  );
}
