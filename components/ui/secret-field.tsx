"use client";
// SecretField: a secret shown once (a token, an API key), selected on focus, with a copy button.
import { CopyButton } from "./copy-button";

/** `label` names the field, `what` the copy button ("Copy token"). */
export function SecretField({ value, label, what }: { value: string; label: string; what: string }) {
  return (
    <div className="flex items-center gap-2">
      <input
        readOnly
        aria-label={label}
        value={value}
        onFocus={(e) => e.currentTarget.select()}
        className="min-w-0 flex-1 rounded-control border border-gray-400 bg-gray-50 px-3 py-2 font-mono text-xs"
      />
      <CopyButton value={value} what={what} />
    </div>
  );
}
