"use client";
// Rename an organization or change its address (admins and owners).
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { serverErrors, type ServerErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Input, useToast } from "@/components/ui";

export function OrgGeneralForm({ org }: { org: { slug: string; name: string } }) {
  const trpc = useTRPC();
  const router = useRouter();
  const { toast } = useToast();
  const update = useMutation(trpc.orgs.update.mutationOptions());
  const [errors, setErrors] = useState<ServerErrors | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setErrors(null);
    try {
      const updated = await update.mutateAsync({ orgSlug: org.slug, name: String(form.get("name")), slug: String(form.get("slug")) });
      toast({ title: "Organization saved", variant: "success" });
      if (updated && updated.slug !== org.slug) router.replace(`/${updated.slug}/settings`);
      router.refresh();
    } catch (error) {
      setErrors(serverErrors(error));
    }
  }

  return (
    <form onSubmit={onSubmit} className="max-w-lg space-y-4" noValidate>
      <Input label="Name" name="name" defaultValue={org.name} required error={errors?.fields.name} />
      <Input
        label="Address"
        name="slug"
        defaultValue={org.slug}
        required
        hint="Used in links: /your-address. Old links stop working when you change it."
        error={errors?.fields.slug}
      />
      <FormAlert message={errors && !errors.fields.name && !errors.fields.slug ? errors.message : null} />
      <Button type="submit" loading={update.isPending}>Save changes</Button>
    </form>
  );
}
