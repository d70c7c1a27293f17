"use client";
// Creating an API key: name, which deployments it may call, an optional expiry and optional
// per-minute limits; then the secret, shown this once with a copy button.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Dialog, Input, SecretField, Select } from "@/components/ui";

const expiries = [
  { value: "never", label: "Never" },
  { value: "7", label: "In 7 days" },
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In a year" },
  { value: "date", label: "On a date…" },
] as const;
type Expiry = (typeof expiries)[number]["value"];

type Created = { name: string; secret: string };

/** The expiry the form means: presets count from now; a date means the end of that UTC day. */
function expiresAt(choice: Expiry, date: string): Date | null | "invalid" {
  if (choice === "never") return null;
  if (choice === "date") {
    const end = new Date(`${date}T23:59:59.999Z`);
    return Number.isNaN(end.getTime()) ? "invalid" : end;
  }
  return new Date(Date.now() + Number(choice) * 86_400_000);
}

/** "" → null (no limit); a whole number; anything else is "invalid". */
function limit(value: string): number | null | "invalid" {
  const trimmed = value.trim().replaceAll(",", "");
  if (trimmed === "") return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : "invalid";
}
const notANumber = "Enter a whole number, or leave it empty for no limit.";

function SecretShown({ created, orgSlug, onClose }: { created: Created; orgSlug: string; onClose: () => void }) {
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Key “${created.name}” created`}
      description="Copy it now: it is shown only this once. Only a hash is stored, so it cannot be shown again; if you lose it, revoke it and create another."
      footer={<Button onClick={onClose}>Done</Button>}
    >
      <div className="space-y-4">
        <SecretField value={created.secret} label="API key" what="API key" />
        <p role="note" className="rounded-control border border-warning-200 bg-warning-50 px-3 py-2 text-sm text-warning-800">
          Keep it out of code you publish and out of browsers: anyone holding it can call your deployments within its limits, and their usage counts as yours.
        </p>
        <p className="text-sm text-gray-700">
          Next: <Link href={`/${orgSlug}/api-keys/quickstart`} className="font-medium text-brand-700 underline hover:text-brand-800">call the API</Link> with it from curl, JavaScript or Python.
        </p>
      </div>
    </Dialog>
  );
}

export function CreateApiKeyDialog({ orgSlug, open, onClose }: { orgSlug: string; open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deployments = useQuery({ ...trpc.deployments.list.queryOptions({ orgSlug }), enabled: open });
  const create = useMutation(trpc.apiKeys.create.mutationOptions());
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"all" | "some">("all");
  const [chosen, setChosen] = useState<string[]>([]);
  const [expiry, setExpiry] = useState<Expiry>("never");
  const [date, setDate] = useState("");
  const [rpm, setRpm] = useState("");
  const [tpm, setTpm] = useState("");
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const choices = deployments.data ?? [];

  function close() {
    setName("");
    setScope("all");
    setChosen([]);
    setExpiry("never");
    setDate("");
    setRpm("");
    setTpm("");
    setErrors({});
    setMessage(null);
    setCreated(null);
    onClose();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setMessage(null);
    const until = expiresAt(expiry, date);
    if (until === "invalid") return setErrors({ expiresAt: "Pick the last day the key works." });
    if (scope === "some" && chosen.length === 0) return setErrors({ deploymentIds: "Pick at least one deployment, or allow all of them." });
    const [requestsPerMinute, tokensPerMinute] = [limit(rpm), limit(tpm)];
    if (requestsPerMinute === "invalid" || tokensPerMinute === "invalid") {
      return setErrors({ requestsPerMinute: requestsPerMinute === "invalid" ? notANumber : undefined, tokensPerMinute: tokensPerMinute === "invalid" ? notANumber : undefined });
    }
    try {
      const key = await create.mutateAsync({
        orgSlug,
        name,
        deploymentIds: scope === "all" ? null : chosen,
        expiresAt: until,
        requestsPerMinute,
        tokensPerMinute,
      });
      setCreated({ name: key.name, secret: key.secret });
      await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey({ orgSlug }) });
    } catch (cause) {
      const { fields, message } = serverErrors(cause);
      setErrors(fields);
      if (Object.keys(fields).length === 0) setMessage(message);
    }
  }

  if (created) return <SecretShown created={created} orgSlug={orgSlug} onClose={close} />;
  return (
    <Dialog open={open} onClose={close} title="Create an API key" description="Apps send it as a Bearer token to the OpenAI-compatible API. One key per app or environment makes revoking one easy.">
      <form onSubmit={submit} noValidate className="space-y-5">
        {message && <FormAlert message={message} />}
        <Input label="Name" value={name} maxLength={60} onChange={(e) => setName(e.target.value)} hint="The app or environment, e.g. “support-site production”." error={errors.name} />

        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-gray-900">Deployments it may call</legend>
          <label className="flex items-start gap-2 text-sm text-gray-800">
            <input type="radio" name="scope" className="mt-0.5" checked={scope === "all"} onChange={() => setScope("all")} />
            <span>All deployments of this organization, including later ones</span>
          </label>
          <label className="flex items-start gap-2 text-sm text-gray-800">
            <input type="radio" name="scope" className="mt-0.5" checked={scope === "some"} disabled={choices.length === 0} onChange={() => setScope("some")} />
            <span>
              Only the ones I pick
              {deployments.data && choices.length === 0 && <span className="block text-gray-600">No deployments yet: deploy a model version first.</span>}
            </span>
          </label>
          {scope === "some" && (
            <ul aria-label="Deployments" className="ml-6 max-h-40 space-y-1 overflow-y-auto rounded-control border border-gray-200 p-2">
              {choices.map((d) => (
                <li key={d.id}>
                  <label className="flex items-center gap-2 text-sm text-gray-800">
                    <input
                      type="checkbox"
                      checked={chosen.includes(d.id)}
                      onChange={(e) => setChosen((c) => (e.target.checked ? [...c, d.id] : c.filter((id) => id !== d.id)))}
                    />
                    <span className="font-mono text-xs">{d.name}</span>
                    <span className="text-xs text-gray-600">{d.status}</span>
                  </label>
                </li>
              ))}
            </ul>
          )}
          {errors.deploymentIds && <p role="alert" className="text-sm font-medium text-danger-700">{errors.deploymentIds}</p>}
        </fieldset>

        <div className="grid gap-4 sm:grid-cols-2">
          <Select label="Expires" value={expiry} onChange={(e) => setExpiry(e.target.value as Expiry)} error={expiry === "date" ? undefined : errors.expiresAt}>
            {expiries.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </Select>
          {expiry === "date" && (
            <Input label="Last day (UTC)" type="date" value={date} min={new Date().toISOString().slice(0, 10)} onChange={(e) => setDate(e.target.value)} error={errors.expiresAt} />
          )}
        </div>

        <div className="grid gap-4 sm:grid-cols-2">
          <Input label="Requests per minute" inputMode="numeric" value={rpm} onChange={(e) => setRpm(e.target.value)} hint="Empty: no limit." error={errors.requestsPerMinute} />
          <Input label="Tokens per minute" inputMode="numeric" value={tpm} onChange={(e) => setTpm(e.target.value)} hint="Empty: no limit." error={errors.tokensPerMinute} />
        </div>

        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={close}>Cancel</Button>
          <Button type="submit" loading={create.isPending}>Create key</Button>
        </div>
      </form>
    </Dialog>
  );
}
