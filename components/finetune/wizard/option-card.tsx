// A selectable card: a radio or checkbox with rich content beside it, highlighted when chosen.
import type { ReactNode } from "react";
import { cn } from "@/components/ui";

type Props = { type: "radio" | "checkbox"; name?: string; checked: boolean; onChange: () => void; children: ReactNode };

export function OptionCard({ type, name, checked, onChange, children }: Props) {
  return (
    <label
      className={cn(
        "flex cursor-pointer gap-3 rounded-control border p-3 has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-600",
        checked ? "border-brand-600 bg-brand-50" : "border-gray-300 bg-white hover:bg-gray-50",
      )}
    >
      <input type={type} name={name} checked={checked} onChange={onChange} className="mt-0.5 size-4 shrink-0 accent-brand-700 focus-visible:outline-none" />
      <span className="min-w-0 flex-1">{children}</span>
    </label>
  );
}
