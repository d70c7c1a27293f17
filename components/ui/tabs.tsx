"use client";
// Tabs switch panels within a page (WAI-ARIA tabs pattern); TabLinks is the same look for sub-pages with their own URLs.
import Link from "next/link";
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { cn } from "./cn";

export type TabItem = {
  id: string;
  label: string;
  content: ReactNode;
};

type TabsProps = {
  items: TabItem[];
  /** Names the tab list for screen readers, e.g. "Datanet views". */
  label: string;
  /** Tab selected on first render; defaults to the first item. */
  defaultId?: string;
  onChange?: (id: string) => void;
  className?: string;
};

function tabClasses(selected: boolean): string {
  return cn(
    // Inset outline: the scrolling tab strip would clip an outline drawn outside the tab.
    "cursor-pointer border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors focus-visible:-outline-offset-2",
    selected
      ? "border-brand-700 text-brand-800"
      : "border-transparent text-gray-600 hover:border-gray-300 hover:text-gray-900",
  );
}

// A 1px inset shadow draws the baseline under the tabs without the overflow clipping a negative margin would cause.
const stripClasses = "flex gap-1 overflow-x-auto shadow-[inset_0_-1px_0_var(--color-gray-200)]";

export function Tabs({ items, label, defaultId, onChange, className }: TabsProps) {
  const baseId = useId();
  const [chosenId, setChosenId] = useState(defaultId);
  // Fall back to the first tab if nothing valid is chosen, so the tab list always has one tab stop.
  const selectedId = items.some((item) => item.id === chosenId) ? chosenId : items[0]?.id;
  const tabRefs = useRef<Array<HTMLButtonElement | null>>([]);

  function select(index: number) {
    const item = items[index];
    if (!item) return;
    setChosenId(item.id);
    onChange?.(item.id);
    tabRefs.current[index]?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLButtonElement>, index: number) {
    const last = items.length - 1;
    const targets: Record<string, number> = {
      ArrowRight: index === last ? 0 : index + 1,
      ArrowLeft: index === 0 ? last : index - 1,
      Home: 0,
      End: last,
    };
    const target = targets[event.key];
    if (target === undefined) return;
    event.preventDefault();
    select(target);
  }

  return (
    <div className={className}>
      <div role="tablist" aria-label={label} className={stripClasses}>
        {items.map((item, index) => {
          const selected = item.id === selectedId;
          return (
            <button
              key={item.id}
              ref={(element) => {
                tabRefs.current[index] = element;
              }}
              type="button"
              role="tab"
              id={`${baseId}-tab-${index}`}
              aria-selected={selected}
              aria-controls={`${baseId}-panel-${index}`}
              tabIndex={selected ? 0 : -1}
              onClick={() => select(index)}
              onKeyDown={(event) => onKeyDown(event, index)}
              className={tabClasses(selected)}
            >
              {item.label}
            </button>
          );
        })}
      </div>
      {/* Every panel stays mounted (hidden) so aria-controls always points at a real element and panel state survives switching. */}
      {items.map((item, index) => (
        <div
          key={item.id}
          role="tabpanel"
          id={`${baseId}-panel-${index}`}
          aria-labelledby={`${baseId}-tab-${index}`}
          hidden={item.id !== selectedId}
          tabIndex={0}
          className="pt-4"
        >
          {item.content}
        </div>
      ))}
    </div>
  );
}

type TabLinksProps = {
  items: Array<{ href: string; label: string }>;
  activeHref: string;
  /** Names the navigation landmark, e.g. "Datanet sections". */
  label?: string;
  className?: string;
};

export function TabLinks({ items, activeHref, label = "Sections", className }: TabLinksProps) {
  return (
    <nav aria-label={label} className={className}>
      <ul className={stripClasses}>
        {items.map((item) => {
          const active = item.href === activeHref;
          return (
            <li key={item.href} className="flex">
              <Link href={item.href} aria-current={active ? "page" : undefined} className={tabClasses(active)}>
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
