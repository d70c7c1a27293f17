"use client";
// Lists the user's organizations (with their role) and creates a new one.
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { serverErrors, type ServerErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Dialog, Input } from "@/components/ui";

export interface OrgSummary {
  slug: string;
  name: string;
  role: string;
}

export function OrgSwitcher({ current, orgs }: { current: OrgSummary; orgs: OrgSummary[] }) {
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  return (
    <div className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="org-switcher-list"
        onClick={() => setOpen((v) => !v)}
        className="flex w-full items-center justify-between gap-2 rounded-control border border-gray-300 bg-white px-3 py-2 text-left text-sm hover:bg-gray-50"
      >
        <span className="min-w-0">
          <span className="block text-xs text-gray-600">Organization</span>
          <span className="block truncate font-medium text-gray-900">{current.name}</span>
        </span>
        <svg viewBox="0 0 20 20" className="size-4 text-gray-600" aria-hidden="true" fill="currentColor">
          <path d="M6 8l4 4 4-4H6z" />
        </svg>
      </button>
      {open && (
        <div id="org-switcher-list" className="absolute inset-x-0 z-20 mt-1 rounded-control border border-gray-200 bg-white p-1 shadow-lg">
          <ul aria-label="Your organizations">
            {orgs.map((org) => (
              <li key={org.slug}>
                <Link
                  href={`/${org.slug}`}
                  onClick={() => setOpen(false)}
                  aria-current={org.slug === current.slug ? "true" : undefined}
                  className="flex items-center justify-between gap-2 rounded-control px-2 py-2 text-sm text-gray-800 hover:bg-gray-100"
                >
                  <span className="truncate">{org.name}</span>
                  <Badge variant={org.slug === current.slug ? "brand" : "neutral"}>{org.role}</Badge>
                </Link>
              </li>
            ))}
          </ul>
          <Button variant="ghost" size="sm" className="mt-1 w-full justify-start" onClick={() => { setOpen(false); setCreating(true); }}>
            + New organization
          </Button>
        </div>
      )}
      <CreateOrgDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function CreateOrgDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.orgs.create.mutationOptions());
  const [errors, setErrors] = useState<ServerErrors | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const slug = String(form.get("slug") ?? "").trim();
    try {
      const org = await create.mutateAsync({ name: String(form.get("name")), slug: slug || undefined });
      onClose();
      router.push(`/${org.slug}`);
      router.refresh();
    } catch (error) {
      setErrors(serverErrors(error));
    }
  }

  return (
    <Dialog open={open} onClose={onClose} title="New organization" description="Organizations own Datanets, models and deployments. You will be its owner.">
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        <Input label="Name" name="name" required autoFocus error={errors?.fields.name} />
        <Input label="Address (optional)" name="slug" hint="Letters, digits and dashes; used in links. Leave empty to derive it from the name." error={errors?.fields.slug} />
        <FormAlert message={errors && !errors.fields.name && !errors.fields.slug ? errors.message : null} />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={create.isPending}>Create organization</Button>
        </div>
      </form>
    </Dialog>
  );
}
