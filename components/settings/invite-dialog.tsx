"use client";
// Invite someone by email with a role; then show the single-use link.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { serverErrors, type ServerErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Dialog, Input, Select } from "@/components/ui";
import { InviteLink } from "./invite-link";
import { roleOptions, type Role } from "./roles";

interface Props {
  orgSlug: string;
  assignable: Role[];
  open: boolean;
  onClose(): void;
}

export function InviteDialog({ orgSlug, assignable, open, onClose }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.invites.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.invites.list.queryKey({ orgSlug }) }),
    }),
  );
  const [errors, setErrors] = useState<ServerErrors | null>(null);
  const [link, setLink] = useState<{ url: string; emailed: boolean } | null>(null);

  function close() {
    setLink(null);
    setErrors(null);
    onClose();
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setErrors(null);
    try {
      const result = await create.mutateAsync({ orgSlug, email: String(form.get("email")), role: form.get("role") as Role });
      setLink({ url: result.url, emailed: result.emailed });
    } catch (error) {
      setErrors(serverErrors(error));
    }
  }

  return (
    <Dialog open={open} onClose={close} title="Invite a member" description="They join with the role you pick; you can change it later.">
      {link ? (
        <div className="space-y-4">
          <InviteLink {...link} />
          <div className="flex justify-end"><Button onClick={close}>Done</Button></div>
        </div>
      ) : (
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <Input label="Email" name="email" type="email" required autoFocus error={errors?.fields.email} />
          <Select label="Role" name="role" defaultValue="member" error={errors?.fields.role}>
            {roleOptions
              .filter((r) => assignable.includes(r.value))
              .map((r) => (
                <option key={r.value} value={r.value}>{r.label} — {r.text}</option>
              ))}
          </Select>
          <FormAlert message={errors && !errors.fields.email && !errors.fields.role ? errors.message : null} />
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={close}>Cancel</Button>
            <Button type="submit" loading={create.isPending}>Create invite</Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
