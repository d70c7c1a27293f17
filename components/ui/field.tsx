// Field: the label, hint and error around one form control, shared by Input, Textarea and Select.
import { useId, type ReactNode } from "react";
import { cn } from "./cn";

export type FieldProps = {
  label: string;
  hint?: string;
  /** Shown under the control and announced; also marks the control invalid. */
  error?: string;
};

export type ControlA11yProps = {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
};

type FieldWrapperProps = FieldProps & {
  id?: string;
  children: (control: ControlA11yProps) => ReactNode;
};

export function controlClasses(invalid: boolean): string {
  return cn(
    "block w-full rounded-control border bg-white px-3 text-sm text-gray-900 shadow-sm placeholder:text-gray-500",
    "disabled:cursor-not-allowed disabled:bg-gray-100 disabled:text-gray-600",
    invalid ? "border-danger-600" : "border-gray-400",
  );
}

export function Field({ label, hint, error, id, children }: FieldWrapperProps) {
  const generatedId = useId();
  const controlId = id ?? generatedId;
  const hintId = `${controlId}-hint`;
  const errorId = `${controlId}-error`;
  const describedBy = [hint && hintId, error && errorId].filter(Boolean).join(" ");

  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={controlId} className="text-sm font-medium text-gray-900">
        {label}
      </label>
      {children({
        id: controlId,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": describedBy || undefined,
      })}
      {hint && (
        <p id={hintId} className="text-sm text-gray-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="text-sm font-medium text-danger-700">
          {error}
        </p>
      )}
    </div>
  );
}
