"use client";
// The "Advanced settings" disclosure of the review step: every hyperparameter with a one-line
// explanation, prefilled with the plan's defaults. Values stay text until sent, so a half-typed
// number is not replaced under the user's cursor.
import { useState } from "react";
import { Button, Input, cn } from "@/components/ui";
import { ALL_LINEAR } from "@/server/finetune/estimate";
import type { Hyperparameters } from "../types";

export type NumberKey = "loraRank" | "loraAlpha" | "loraDropout" | "learningRate" | "epochs" | "batchSize" | "maxLength" | "warmupRatio" | "evalFraction" | "seed";
type FlagKey = "gradientCheckpointing" | "packing";

/** What the user changed; numbers as typed. */
export type Overrides = Partial<Record<NumberKey, string> & Record<FlagKey, boolean> & { targetModules: string[] }>;

const numberFields: { key: NumberKey; label: string; hint: string; step?: string }[] = [
  { key: "epochs", label: "Epochs", hint: "Passes over the training examples. More passes fit the data more closely." },
  { key: "learningRate", label: "Learning rate", hint: "Size of each update; 1e-4 to 3e-4 suits most LoRA runs.", step: "any" },
  { key: "batchSize", label: "Batch size", hint: "Examples per step. Larger is steadier but needs more memory." },
  { key: "maxLength", label: "Max length (tokens)", hint: "Longer examples are cut to this many tokens." },
  { key: "loraRank", label: "LoRA rank", hint: "Size of the adapter: higher learns more and needs more memory." },
  { key: "loraAlpha", label: "LoRA alpha", hint: "Scales the adapter's updates; usually twice the rank." },
  { key: "loraDropout", label: "LoRA dropout", hint: "Share of adapter inputs dropped in training, against overfitting.", step: "0.01" },
  { key: "warmupRatio", label: "Warmup", hint: "Share of steps at the start while the learning rate ramps up.", step: "0.01" },
  { key: "evalFraction", label: "Held out for evaluation", hint: "Share of examples kept aside to measure the result (0 to 0.5).", step: "0.01" },
  { key: "seed", label: "Seed", hint: "The same seed and data train the same adapter again." },
];

const flags: { key: FlagKey; label: string; hint: string }[] = [
  { key: "gradientCheckpointing", label: "Gradient checkpointing", hint: "Saves GPU memory by recomputing activations; about 30% slower." },
  { key: "packing", label: "Packing", hint: "Packs short examples together into one sequence; faster on short data." },
];

/** Overrides as the plan's hyperparameters; a number that does not parse is reported instead. */
export function parseOverrides(overrides: Overrides): { values: Partial<Hyperparameters>; invalid: Partial<Record<NumberKey, string>> } {
  const values: Partial<Hyperparameters> = {};
  const invalid: Partial<Record<NumberKey, string>> = {};
  for (const { key } of numberFields) {
    const raw = overrides[key];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) invalid[key] = "Enter a number.";
    else values[key] = n;
  }
  for (const { key } of flags) if (overrides[key] !== undefined) values[key] = overrides[key];
  if (overrides.targetModules) values.targetModules = overrides.targetModules;
  return { values, invalid };
}

type Props = {
  defaults: Hyperparameters | undefined;
  overrides: Overrides;
  onChange: (overrides: Overrides) => void;
  /** Per field, from the server ("hyperparameters.loraRank") or from parsing. */
  errors: Record<string, string | undefined>;
};

export function AdvancedSettings({ defaults, overrides, onChange, errors }: Props) {
  const set = (patch: Overrides) => onChange({ ...overrides, ...patch });
  const modules = overrides.targetModules ?? defaults?.targetModules ?? ALL_LINEAR;
  const changed = Object.keys(overrides).length > 0;
  const [expanded, setExpanded] = useState(false);
  // A field with an error is never hidden in a closed disclosure.
  const open = expanded || Object.values(errors).some(Boolean);
  return (
    <details open={open} onToggle={(e) => setExpanded(e.currentTarget.open)} className="rounded-control border border-gray-200">
      <summary className="cursor-pointer px-4 py-3 text-sm font-medium text-gray-900">
        Advanced settings {changed && <span className="font-normal text-gray-600">(changed)</span>}
      </summary>
      <div className="space-y-5 border-t border-gray-200 px-4 py-4">
        <p className="text-sm text-gray-600">The defaults suit the size of your data. Every change updates the estimate above.</p>
        <div className="grid gap-4 sm:grid-cols-2">
          {numberFields.map((f) => (
            <Input
              key={f.key}
              label={f.label}
              hint={f.hint}
              type="number"
              inputMode="decimal"
              step={f.step}
              disabled={!defaults}
              value={overrides[f.key] ?? (defaults ? String(defaults[f.key]) : "")}
              onChange={(e) => set({ [f.key]: e.target.value })}
              error={errors[f.key] ?? errors[`hyperparameters.${f.key}`]}
            />
          ))}
        </div>
        <fieldset>
          <legend className="text-sm font-medium text-gray-900">Target modules</legend>
          <p className="text-sm text-gray-600">Layers the adapter attaches to. All seven learn best; attention only (q, k, v, o) makes a smaller adapter.</p>
          <div className="mt-2 flex flex-wrap gap-x-5 gap-y-2">
            {ALL_LINEAR.map((m) => (
              <label key={m} className="flex items-center gap-2 font-mono text-sm text-gray-900">
                <input
                  type="checkbox"
                  className="size-4 accent-brand-700"
                  checked={modules.includes(m)}
                  onChange={(e) => set({ targetModules: e.target.checked ? ALL_LINEAR.filter((x) => x === m || modules.includes(x)) : modules.filter((x) => x !== m) })}
                />
                {m}
              </label>
            ))}
          </div>
          {errors["hyperparameters.targetModules"] && <p role="alert" className="mt-1 text-sm font-medium text-danger-700">{errors["hyperparameters.targetModules"]}</p>}
        </fieldset>
        <div className="space-y-3">
          {flags.map((f) => (
            <label key={f.key} className="flex gap-3">
              <input
                type="checkbox"
                className="mt-0.5 size-4 shrink-0 accent-brand-700"
                checked={overrides[f.key] ?? defaults?.[f.key] ?? false}
                onChange={(e) => set({ [f.key]: e.target.checked })}
              />
              <span>
                <span className="block text-sm font-medium text-gray-900">{f.label}</span>
                <span className="block text-sm text-gray-600">{f.hint}</span>
              </span>
            </label>
          ))}
        </div>
        <div className={cn(!changed && "hidden")}>
          <Button variant="secondary" size="sm" onClick={() => onChange({})}>Reset to defaults</Button>
        </div>
      </div>
    </details>
  );
}
