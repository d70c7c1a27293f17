"use client";
// Domain tags: type a tag and press Enter (or a comma) to add it; each chip has a remove button.
import { useState, type KeyboardEvent } from "react";
import { Input } from "@/components/ui";

type Props = {
  tags: string[];
  onChange: (tags: string[]) => void;
  /** Text typed but not yet added; the wizard adds it too when moving on. */
  pending: string;
  onPendingChange: (text: string) => void;
  error?: string;
};

export const MAX_TAGS = 10;

/** Tags as the server stores them: trimmed, lower-case, no repeats. */
export function withTag(tags: string[], text: string): string[] {
  const tag = text.trim().toLowerCase();
  if (!tag || tags.includes(tag)) return tags;
  return [...tags, tag];
}

export function TagInput({ tags, onChange, pending, onPendingChange, error }: Props) {
  const [full, setFull] = useState(false);

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Enter" || event.key === ",") {
      event.preventDefault();
      if (tags.length >= MAX_TAGS) return setFull(true);
      onChange(withTag(tags, pending));
      onPendingChange("");
    } else if (event.key === "Backspace" && pending === "" && tags.length > 0) {
      onChange(tags.slice(0, -1));
    }
  }

  const hint = full ? `Use at most ${MAX_TAGS} tags.` : "Type a tag and press Enter, e.g. health, quechua. Up to 10.";
  return (
    <div className="space-y-2">
      <Input
        label="Domain tags"
        value={pending}
        onChange={(e) => {
          setFull(false);
          onPendingChange(e.target.value);
        }}
        onKeyDown={onKeyDown}
        hint={hint}
        error={error}
      />
      {tags.length > 0 && (
        <ul className="flex flex-wrap gap-2" aria-label="Tags">
          {tags.map((tag) => (
            <li key={tag} className="inline-flex items-center gap-1 rounded-full bg-brand-50 py-0.5 pr-1 pl-3 text-sm text-brand-800 ring-1 ring-brand-200 ring-inset">
              {tag}
              <button
                type="button"
                aria-label={`Remove tag ${tag}`}
                onClick={() => onChange(tags.filter((t) => t !== tag))}
                className="inline-flex size-5 cursor-pointer items-center justify-center rounded-full hover:bg-brand-100"
              >
                <svg viewBox="0 0 20 20" fill="currentColor" aria-hidden="true" className="size-3.5">
                  <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
                </svg>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
