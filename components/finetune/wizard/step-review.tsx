// Step 4: name the model (or add a version to one), the plan in plain words, every choice with
// a way back to change it, and the advanced settings.
import type { ReactNode } from "react";
import { formatCount } from "@/components/datanets/detail/format";
import { Button, Input, Select, Spinner, cn } from "@/components/ui";
import { templateLabels } from "../format";
import type { CatalogModel, ModelRow, Plan, TrainableVersion } from "../types";
import { AdvancedSettings, type Overrides } from "./advanced-settings";

export type Target = { kind: "new"; name: string } | { kind: "existing"; slug: string };

type Props = {
  target: Target;
  setTarget: (target: Target) => void;
  /** Models on the picked base model, which can take a new version. */
  models: ModelRow[];
  picked: TrainableVersion[];
  base: CatalogModel | undefined;
  template: string;
  plan: Plan | undefined;
  planning: boolean;
  defaults: Plan["hyperparameters"] | undefined;
  overrides: Overrides;
  setOverrides: (overrides: Overrides) => void;
  errors: Record<string, string | undefined>;
  goTo: (step: number) => void;
};

function Row({ term, step, goTo, children }: { term: string; step: number; goTo: (step: number) => void; children: ReactNode }) {
  return (
    <div className="flex items-start justify-between gap-3 border-b border-gray-200 py-3 last:border-b-0">
      <div className="min-w-0 text-sm">
        <dt className="text-gray-600">{term}</dt>
        <dd className="mt-0.5 text-gray-900">{children}</dd>
      </div>
      <Button variant="ghost" size="sm" onClick={() => goTo(step)} aria-label={`Change ${term.toLowerCase()}`}>Change</Button>
    </div>
  );
}

export function StepReview({ target, setTarget, models, picked, base, template, plan, planning, defaults, overrides, setOverrides, errors, goTo }: Props) {
  return (
    <div className="space-y-6">
      <div aria-live="polite" className={cn("rounded-card bg-brand-50 px-4 py-4 sm:px-6", planning && "opacity-70")}>
        <p className="text-xs font-semibold tracking-wide text-brand-800 uppercase">The plan</p>
        <p className="mt-1 text-lg font-semibold text-gray-900 sm:text-xl">
          {plan ? plan.estimate.summary : planning ? <span className="flex items-center gap-2"><Spinner /> Working out the plan…</span> : "Fix the settings below to see the plan."}
        </p>
        {plan && !plan.available && (
          <p className="mt-2 text-sm text-warning-800">No online worker can load {plan.model.name} yet: the run waits in the queue until one connects.</p>
        )}
      </div>

      <fieldset className="space-y-3">
        <legend className="text-sm font-medium text-gray-900">Save the result as</legend>
        <div className="flex flex-wrap gap-x-6 gap-y-2 text-sm">
          <label className="flex items-center gap-2">
            <input type="radio" name="target" className="size-4 accent-brand-700" checked={target.kind === "new"} onChange={() => setTarget({ kind: "new", name: "" })} />
            A new model
          </label>
          <label className={cn("flex items-center gap-2", models.length === 0 && "text-gray-600")}>
            <input
              type="radio"
              name="target"
              className="size-4 accent-brand-700"
              disabled={models.length === 0}
              checked={target.kind === "existing"}
              onChange={() => models[0] && setTarget({ kind: "existing", slug: models[0].slug })}
            />
            A new version of an existing model{models.length === 0 && " (none on this base model yet)"}
          </label>
        </div>
        {target.kind === "new" ? (
          <Input
            label="Model name"
            hint="Say what it is for, e.g. “Clinic answers”. You can train more versions of it later."
            value={target.name}
            maxLength={60}
            onChange={(e) => setTarget({ kind: "new", name: e.target.value })}
            error={errors.modelName}
          />
        ) : (
          <Select label="Model" value={target.slug} onChange={(e) => setTarget({ kind: "existing", slug: e.target.value })} error={errors.modelSlug}>
            {models.map((m) => (
              <option key={m.slug} value={m.slug}>{m.name} (next: v{m.versions + 1})</option>
            ))}
          </Select>
        )}
      </fieldset>

      <dl>
        <Row term="Data" step={0} goTo={goTo}>
          <ul>
            {picked.map((v) => (
              <li key={v.versionId}>{v.datanetName} v{v.number} <span className="text-gray-600">({formatCount(v.recordCount)} records)</span></li>
            ))}
          </ul>
        </Row>
        <Row term="Base model" step={1} goTo={goTo}>{base?.name ?? "—"}</Row>
        <Row term="Task" step={2} goTo={goTo}>{templateLabels[template] ?? template}</Row>
      </dl>

      <AdvancedSettings defaults={defaults} overrides={overrides} onChange={setOverrides} errors={errors} />
    </div>
  );
}
