"use client";
// Dialog: a modal on the native <dialog> element, so the browser handles focus trapping, Escape and inertness.
import { useEffect, useId, useRef, type ReactNode } from "react";

type DialogProps = {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: string;
  children: ReactNode;
  /** Action buttons, right-aligned under the body. */
  footer?: ReactNode;
};

export function Dialog({ open, onClose, title, description, children, footer }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      // Escape closes the element natively; report it so the parent's `open` stays the source of truth.
      // When the parent itself closed us, `open` is already false and there is nothing to report.
      onClose={() => {
        if (open) onClose();
      }}
      className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-card bg-white text-gray-900 shadow-xl backdrop:bg-gray-950/50"
    >
      {/* Content mounts only while open, so forms inside start fresh each time. */}
      {open && (
        <div className="relative">
          <div className="px-4 pt-5 pr-14 sm:px-6">
            <h2 id={titleId} className="text-lg font-semibold text-gray-900">
              {title}
            </h2>
            {description && (
              <p id={descriptionId} className="mt-1 text-sm text-gray-600">
                {description}
              </p>
            )}
          </div>
          <div className="px-4 py-4 sm:px-6">{children}</div>
          {footer && (
            <div className="flex flex-wrap justify-end gap-2 rounded-b-card border-t border-gray-200 bg-gray-50 px-4 py-3 sm:px-6">
              {footer}
            </div>
          )}
          {/* Last in DOM order so initial focus lands on the first field or action, not on Close. */}
          <button
            type="button"
            aria-label="Close"
            onClick={onClose}
            className="absolute top-4 right-4 inline-flex size-8 cursor-pointer items-center justify-center rounded-control text-gray-600 hover:bg-gray-100 hover:text-gray-900"
          >
            <svg viewBox="0 0 20 20" fill="currentColor" aria-hidden="true" className="size-5">
              <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
            </svg>
          </button>
        </div>
      )}
    </dialog>
  );
}
