// A set of radio cards, each with a one-line explanation (and an example, for record formats).
import { cn } from "@/components/ui";
import type { Choice } from "./fields";

type Props<T extends string> = {
  legend: string;
  name: string;
  choices: Choice<T>[];
  value: T;
  onChange: (value: T) => void;
  error?: string;
  /** Two columns on wide screens instead of one per row. */
  columns?: 1 | 2;
};

export function ChoiceGroup<T extends string>({ legend, name, choices, value, onChange, error, columns = 1 }: Props<T>) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-medium text-gray-900">{legend}</legend>
      <div className={cn("grid gap-2 pt-1", columns === 2 && "sm:grid-cols-2")}>
        {choices.map((choice) => {
          const checked = choice.value === value;
          return (
            <label
              key={choice.value}
              className={cn(
                "flex min-w-0 cursor-pointer gap-3 rounded-control border p-3 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-600",
                checked ? "border-brand-600 bg-brand-50" : "border-gray-300 bg-white hover:bg-gray-50",
              )}
            >
              <input
                type="radio"
                name={name}
                value={choice.value}
                checked={checked}
                onChange={() => onChange(choice.value)}
                className="mt-0.5 size-4 shrink-0 accent-brand-700 focus-visible:outline-none"
              />
              <span className="min-w-0">
                <span className="block text-sm font-medium text-gray-900">{choice.label}</span>
                <span className="block text-sm text-gray-600">{choice.description}</span>
                {choice.example && (
                  <code className="mt-2 block overflow-x-auto rounded bg-gray-100 px-2 py-1.5 font-mono text-xs whitespace-pre text-gray-800">
                    {choice.example}
                  </code>
                )}
              </span>
            </label>
          );
        })}
      </div>
      {error && <p role="alert" className="text-sm font-medium text-danger-700">{error}</p>}
    </fieldset>
  );
}
