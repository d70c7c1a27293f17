"use client";
// Toasts: short-lived notifications. Wrap the app in ToastProvider, then call useToast().toast({...}).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { cn } from "./cn";

export type ToastVariant = "success" | "error" | "info";

export type ToastOptions = {
  title: string;
  description?: string;
  variant?: ToastVariant;
};

type ToastEntry = ToastOptions & { id: number; variant: ToastVariant };

type ToastContextValue = { toast: (options: ToastOptions) => void };

const DISMISS_AFTER_MS = 5000;
const MAX_VISIBLE = 4;

const ToastContext = createContext<ToastContextValue | null>(null);

export function useToast(): ToastContextValue {
  const context = useContext(ToastContext);
  if (!context) {
    throw new Error("useToast() was called outside <ToastProvider>; wrap the app in <ToastProvider> in app/layout.tsx.");
  }
  return context;
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ToastEntry[]>([]);
  const nextId = useRef(0);

  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((entry) => entry.id !== id));
  }, []);

  const toast = useCallback(({ title, description, variant = "info" }: ToastOptions) => {
    nextId.current += 1;
    const entry: ToastEntry = { id: nextId.current, title, description, variant };
    setToasts((current) => [...current, entry].slice(-MAX_VISIBLE));
  }, []);

  const value = useMemo(() => ({ toast }), [toast]);

  return (
    <ToastContext value={value}>
      {children}
      {/* The live region stays mounted so screen readers are already watching it when a toast arrives. */}
      <div
        aria-live="polite"
        className="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col gap-2 p-4 sm:inset-x-auto sm:right-0 sm:w-96"
      >
        {toasts.map((entry) => (
          <ToastItem key={entry.id} entry={entry} onDismiss={dismiss} />
        ))}
      </div>
    </ToastContext>
  );
}

const accentClasses: Record<ToastVariant, string> = {
  success: "text-success-700",
  error: "text-danger-700",
  info: "text-brand-700",
};

const iconPaths: Record<ToastVariant, string> = {
  success:
    "M10 18a8 8 0 1 0 0-16 8 8 0 0 0 0 16Zm3.86-9.81a.75.75 0 0 0-1.22-.88l-3.24 4.5-1.6-1.6a.75.75 0 1 0-1.06 1.06l2.25 2.25a.75.75 0 0 0 1.14-.1l3.73-5.23Z",
  error:
    "M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0Zm-8-5a.75.75 0 0 1 .75.75v4.5a.75.75 0 0 1-1.5 0v-4.5A.75.75 0 0 1 10 5Zm0 10a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z",
  info: "M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0Zm-7-4a1 1 0 1 1-2 0 1 1 0 0 1 2 0ZM9 9a.75.75 0 0 0 0 1.5h.25v2.75a.75.75 0 0 0 1.5 0V10a1 1 0 0 0-1-1H9Z",
};

function ToastItem({ entry, onDismiss }: { entry: ToastEntry; onDismiss: (id: number) => void }) {
  // Hovering or focusing a toast holds it open, so it can be read or dismissed at the user's pace (WCAG 2.2.1).
  const [held, setHeld] = useState(false);

  useEffect(() => {
    if (held) return;
    const timer = setTimeout(() => onDismiss(entry.id), DISMISS_AFTER_MS);
    return () => clearTimeout(timer);
  }, [held, entry.id, onDismiss]);

  return (
    <div
      role={entry.variant === "error" ? "alert" : "status"}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
      className="pointer-events-auto flex items-start gap-3 rounded-card border border-gray-200 bg-white p-4 shadow-lg"
    >
      <svg viewBox="0 0 20 20" fill="currentColor" aria-hidden="true" className={cn("size-5 shrink-0", accentClasses[entry.variant])}>
        <path fillRule="evenodd" clipRule="evenodd" d={iconPaths[entry.variant]} />
      </svg>
      <div className="min-w-0 flex-1">
        <p className="text-sm font-semibold text-gray-900">{entry.title}</p>
        {entry.description && <p className="mt-1 text-sm text-gray-600">{entry.description}</p>}
      </div>
      <button
        type="button"
        aria-label="Dismiss notification"
        onClick={() => onDismiss(entry.id)}
        className="-m-1 inline-flex size-7 shrink-0 cursor-pointer items-center justify-center rounded-control text-gray-600 hover:bg-gray-100 hover:text-gray-900"
      >
        <svg viewBox="0 0 20 20" fill="currentColor" aria-hidden="true" className="size-4">
          <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
        </svg>
      </button>
    </div>
  );
}
