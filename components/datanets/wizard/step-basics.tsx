"use client";
// Step 1: what the Datanet is — name, one-line summary, Markdown description, domain tags.
import { useState } from "react";
import { Input, Textarea, cn } from "@/components/ui";
import type { WizardValues } from "./fields";
import { Markdown } from "./markdown";
import { TagInput } from "./tag-input";

type Props = {
  values: WizardValues;
  set: (patch: Partial<WizardValues>) => void;
  pendingTag: string;
  setPendingTag: (text: string) => void;
  errors: Record<string, string | undefined>;
};

export function StepBasics({ values, set, pendingTag, setPendingTag, errors }: Props) {
  const [preview, setPreview] = useState(false);
  return (
    <div className="space-y-5">
      <Input
        label="Name"
        value={values.name}
        onChange={(e) => set({ name: e.target.value })}
        required
        maxLength={80}
        hint="3 to 80 characters. Its web address is made from it."
        error={errors.name}
      />
      <Input
        label="One-line summary"
        value={values.summary}
        onChange={(e) => set({ summary: e.target.value })}
        maxLength={160}
        hint="Shown in lists and the public directory. Up to 160 characters."
        error={errors.summary}
      />
      <div className="relative">
        <div role="group" aria-label="Description view" className="absolute -top-1.5 right-0 inline-flex rounded-control border border-gray-300 bg-white p-0.5">
          {(["Write", "Preview"] as const).map((mode) => {
            const active = (mode === "Preview") === preview;
            return (
              <button
                key={mode}
                type="button"
                aria-pressed={active}
                onClick={() => setPreview(mode === "Preview")}
                className={cn(
                  "cursor-pointer rounded-[0.375rem] px-2.5 py-0.5 text-sm font-medium",
                  active ? "bg-brand-700 text-white" : "text-gray-700 hover:bg-gray-100",
                )}
              >
                {mode}
              </button>
            );
          })}
        </div>
        {preview ? (
          <div className="flex flex-col gap-1.5">
            <p className="text-sm font-medium text-gray-900">Description</p>
            <div data-testid="description-preview" className="min-h-40 rounded-control border border-gray-200 bg-white p-3">
              {values.description.trim() ? <Markdown source={values.description} /> : <p className="text-sm text-gray-600">Nothing to preview yet.</p>}
            </div>
          </div>
        ) : (
          <Textarea
            label="Description"
            rows={8}
            value={values.description}
            onChange={(e) => set({ description: e.target.value })}
            hint="What the data covers, where it comes from, what a good contribution looks like. Markdown: # headings, **bold**, *italic*, - lists, `code`, [links](https://…)."
            error={errors.description}
          />
        )}
      </div>
      <TagInput
        tags={values.tags}
        onChange={(tags) => set({ tags })}
        pending={pendingTag}
        onPendingChange={setPendingTag}
        error={errors.tags}
      />
    </div>
  );
}
