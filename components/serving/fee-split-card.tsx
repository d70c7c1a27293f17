"use client";
// A deployment's fee split: in words (who gets what part of each call's fee), and for members a
// form in percent that says the new split in words as it is typed and saves it for future calls.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, CardBody, CardFooter, CardHeader, Input, useToast } from "@/components/ui";
import { BPS, describeFeeSplit, formatBps, type FeeSplit, type TrainingDatanet } from "@/server/serving/fee-split";

type Field = keyof FeeSplit;

const fields: { key: Field; label: string }[] = [
  { key: "contributorsBps", label: "Data contributors (%)" },
  { key: "ownerBps", label: "Model owner (%)" },
  { key: "platformBps", label: "Platform (%)" },
];

const toPercent = (bps: number) => String(bps / 100);
/** Basis points from what was typed in percent; NaN when it is not a number. */
const toBps = (text: string) => (text.trim() === "" ? Number.NaN : Math.round(Number(text) * 100));

type Props = {
  orgSlug: string;
  deployment: FeeSplit & { id: string; name: string; training: TrainingDatanet[] };
  canManage: boolean;
};

export function FeeSplitCard({ orgSlug, deployment, canManage }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<Record<Field, string>>({ platformBps: "", ownerBps: "", contributorsBps: "" });
  const [problem, setProblem] = useState<{ message: string | null; fields: Record<string, string | undefined> }>({ message: null, fields: {} });
  const save = useMutation(trpc.deployments.setFeeSplit.mutationOptions());

  const current: FeeSplit = { platformBps: deployment.platformBps, ownerBps: deployment.ownerBps, contributorsBps: deployment.contributorsBps };
  const typed: FeeSplit = { platformBps: toBps(draft.platformBps), ownerBps: toBps(draft.ownerBps), contributorsBps: toBps(draft.contributorsBps) };
  const sum = typed.platformBps + typed.ownerBps + typed.contributorsBps;

  function edit() {
    setDraft({ platformBps: toPercent(current.platformBps), ownerBps: toPercent(current.ownerBps), contributorsBps: toPercent(current.contributorsBps) });
    setProblem({ message: null, fields: {} });
    setEditing(true);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem({ message: null, fields: {} });
    try {
      await save.mutateAsync({ orgSlug, deploymentId: deployment.id, ...typed });
      await queryClient.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
      setEditing(false);
      toast({ title: "Fee split saved", description: "Calls from now on are split this way.", variant: "success" });
    } catch (error) {
      const { message, fields: byField } = serverErrors(error);
      setProblem({ message: Object.values(byField).some(Boolean) ? null : message, fields: byField });
    }
  }

  return (
    <Card>
      <CardHeader
        title="Fee split"
        description="Each call's fee comes from its metered tokens; the contributors' part is divided by attribution, and every part is paid per epoch (a UTC day)."
        actions={canManage && !editing && <Button size="sm" variant="secondary" onClick={edit}>Edit split</Button>}
      />
      <CardBody className="space-y-4">
        <p data-testid="fee-split-words" className="text-sm text-gray-900">{describeFeeSplit(current, deployment.training)}</p>
        {editing && (
          <form id="fee-split-form" onSubmit={submit} noValidate className="space-y-3">
            <div className="grid gap-3 sm:grid-cols-3">
              {fields.map((f) => (
                <Input
                  key={f.key}
                  label={f.label}
                  type="number"
                  inputMode="decimal"
                  min={0}
                  max={100}
                  step={0.01}
                  value={draft[f.key]}
                  onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
                  error={problem.fields[f.key]}
                />
              ))}
            </div>
            <p className="text-sm text-gray-600" aria-live="polite">
              {Number.isNaN(sum) ? "Enter a percentage for each part." : sum === BPS ? describeFeeSplit(typed, deployment.training) : `These add up to ${formatBps(sum)}; they must add up to 100 %.`}
            </p>
            <FormAlert message={problem.message} />
          </form>
        )}
      </CardBody>
      {editing && (
        <CardFooter>
          <Button variant="secondary" onClick={() => setEditing(false)}>Cancel</Button>
          <Button type="submit" form="fee-split-form" loading={save.isPending} disabled={sum !== BPS}>Save split</Button>
        </CardFooter>
      )}
    </Card>
  );
}
