"use client";
// Rejecting needs a reason: the contributor sees it next to their record.
import { useState, type FormEvent } from "react";
import { serverErrors, type ServerErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { Button, Dialog, Textarea } from "@/components/ui";
import { plural } from "./format";

interface Props {
  /** The records to reject; the dialog is open while this is non-empty. */
  recordIds: string[];
  onClose: () => void;
  onReject: (reason: string) => Promise<unknown>;
}

export function RejectDialog({ recordIds, onClose, onReject }: Props) {
  const [errors, setErrors] = useState<ServerErrors | null>(null);
  const [pending, setPending] = useState(false);

  function close() {
    setErrors(null);
    onClose();
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get("reason") ?? "").trim();
    if (!reason) {
      setErrors({ message: "", fields: { reason: "Say why; the contributor sees this reason." } });
      return;
    }
    setErrors(null);
    setPending(true);
    try {
      await onReject(reason);
      close();
    } catch (error) {
      setErrors(serverErrors(error));
    } finally {
      setPending(false);
    }
  }

  return (
    <Dialog
      open={recordIds.length > 0}
      onClose={close}
      title={`Reject ${plural(recordIds.length, "record")}?`}
      description="Rejected records stay out of every version. The contributor sees your reason and can send a fixed file."
    >
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        <Textarea
          label="Reason"
          name="reason"
          rows={3}
          maxLength={500}
          required
          autoFocus
          hint="For example: the answer is not sourced, or it repeats another record."
          error={errors?.fields.reason}
        />
        <FormAlert message={errors && !errors.fields.reason ? errors.message : null} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={close}>Cancel</Button>
          <Button type="submit" variant="danger" loading={pending}>Reject</Button>
        </div>
      </form>
    </Dialog>
  );
}
