// Step 2: the base model, as cards with size, context, license, memory and whether an online
// worker can load it now (any can be picked: the run waits in the queue for a worker).
import { Badge } from "@/components/ui";
import { contextWords, memoryWords, parameterCount } from "../format";
import type { CatalogModel } from "../types";
import { OptionCard } from "./option-card";

type Props = {
  catalog: CatalogModel[];
  value: string | null;
  onChange: (id: string) => void;
  /** A new version must keep its model's base: the others are not offered. */
  lockedTo: string | null;
};

export function StepBaseModel({ catalog, value, onChange, lockedTo }: Props) {
  const models = lockedTo ? catalog.filter((m) => m.id === lockedTo) : catalog;
  return (
    <fieldset className="space-y-3">
      <legend className="text-sm text-gray-700">
        {lockedTo
          ? "A new version keeps its model's base model."
          : "Smaller models train and answer faster; larger ones know more. Start small, then compare."}
      </legend>
      <div className="grid gap-2 lg:grid-cols-2">
        {models.map((m) => (
          <OptionCard key={m.id} type="radio" name="base-model" checked={m.id === value} onChange={() => onChange(m.id)}>
            <span className="flex flex-wrap items-center justify-between gap-2">
              <span className="text-sm font-medium text-gray-900">{m.name}</span>
              {m.available ? <Badge variant="success">Available now</Badge> : <Badge variant="warning">No worker can load this yet</Badge>}
            </span>
            <span className="mt-1 block text-sm text-gray-600">{m.note}</span>
            <span className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-gray-700">
              <span>{parameterCount(m.parametersB)} parameters</span>
              <span>{contextWords(m.contextLength)} context</span>
              <span>{memoryWords(m)}</span>
              <span>{m.license}</span>
            </span>
          </OptionCard>
        ))}
      </div>
    </fieldset>
  );
}
