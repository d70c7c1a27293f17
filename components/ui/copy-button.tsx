"use client";
// CopyButton: copies a value to the clipboard and says so; names what it copies for screen readers.
import { useState } from "react";
import { Button, type ButtonSize, type ButtonVariant } from "./button";

type CopyButtonProps = {
  value: string;
  /** What is copied, e.g. "token": read as "Copy token". */
  what: string;
  variant?: ButtonVariant;
  size?: ButtonSize;
};

export function CopyButton({ value, what, variant = "secondary", size = "sm" }: CopyButtonProps) {
  const [state, setState] = useState<"idle" | "copied" | "blocked">("idle");
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      setState("blocked");
    }
  }
  return (
    <Button variant={variant} size={size} onClick={copy} aria-label={`Copy ${what}`}>
      <span aria-live="polite">{state === "copied" ? "Copied" : state === "blocked" ? "Select and copy by hand" : "Copy"}</span>
    </Button>
  );
}
