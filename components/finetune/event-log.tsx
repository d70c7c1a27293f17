"use client";
// A run's log: info, warnings and errors with their time, newest at the bottom. It follows new
// lines while the reader is at the bottom, and stays put when they scrolled up to read.
import { useEffect, useRef } from "react";
import { cn } from "@/components/ui";
import type { RunEvent } from "./types";

const levelClasses: Record<string, string> = {
  info: "text-gray-600",
  warn: "text-warning-800 font-semibold",
  error: "text-danger-700 font-semibold",
};

const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "UTC" });

export function EventLog({ events }: { events: RunEvent[] }) {
  const ref = useRef<HTMLOListElement>(null);
  const follow = useRef(true);
  const lines = events.filter((e) => e.level !== "metric");

  useEffect(() => {
    const list = ref.current;
    if (list && follow.current) list.scrollTop = list.scrollHeight;
  }, [lines.length]);

  if (lines.length === 0) return <p className="text-sm text-gray-600">Nothing logged yet.</p>;
  return (
    <ol
      ref={ref}
      aria-label="Event log"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
      className="max-h-80 overflow-y-auto rounded-control border border-gray-200 bg-gray-50 p-3 font-mono text-xs leading-relaxed"
    >
      {lines.map((e) => (
        <li key={e.id} className="flex gap-3">
          <time dateTime={new Date(e.createdAt).toISOString()} className="shrink-0 text-gray-600 tabular-nums">
            {time.format(new Date(e.createdAt))}
          </time>
          <span className={cn("w-10 shrink-0 uppercase", levelClasses[e.level])}>{e.level}</span>
          <span className="min-w-0 break-words whitespace-pre-wrap text-gray-900">{e.message}</span>
        </li>
      ))}
    </ol>
  );
}
