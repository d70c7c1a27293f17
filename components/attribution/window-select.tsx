"use client";
// The period a dashboard covers, in UTC days.
import { Select } from "@/components/ui";

export const windows = [30, 90, 365] as const;
export type Window = (typeof windows)[number];

export function WindowSelect({ value, onChange }: { value: Window; onChange: (days: Window) => void }) {
  return (
    <div className="w-44">
      <Select label="Period" value={value} onChange={(e) => onChange(Number(e.target.value) as Window)}>
        {windows.map((d) => <option key={d} value={d}>Last {d} days</option>)}
      </Select>
    </div>
  );
}
