"use client";
// ConfirmDialog: asks before a consequential action (cancel, revoke), runs it, and shows
// its error in place so the user can retry or back out.
import { useState, type ReactNode } from "react";
import { Button } from "./button";
import { Dialog } from "./dialog";

type ConfirmDialogProps = {
  open: boolean;
  onClose: () => void;
  title: string;
  description: string;
  confirmLabel: string;
  /** Label of the button that backs out, e.g. "Keep running". */
  cancelLabel?: string;
  /** Resolves when done (the dialog closes); a thrown error's message is shown in the dialog. */
  onConfirm: () => Promise<unknown>;
  children?: ReactNode;
};

export function ConfirmDialog({ open, onClose, title, description, confirmLabel, cancelLabel = "Cancel", onConfirm, children }: ConfirmDialogProps) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  function close() {
    setError(null);
    onClose();
  }

  async function confirm() {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : "Something went wrong. Try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={title}
      description={description}
      footer={
        <>
          <Button variant="secondary" onClick={close}>{cancelLabel}</Button>
          <Button variant="danger" loading={pending} onClick={confirm}>{confirmLabel}</Button>
        </>
      }
    >
      {children}
      {error && (
        <p role="alert" className="rounded-control border border-danger-200 bg-danger-50 px-3 py-2 text-sm text-danger-800">
          {error}
        </p>
      )}
    </Dialog>
  );
}
