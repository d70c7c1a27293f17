// Labels and number, date and address formatting shared by the Datanet pages and the
// public directory. Dates are shown in UTC so server and browser render the same text.
import type { BadgeVariant } from "@/components/ui";

export const formatLabels: Record<string, string> = { chat: "Chat", instruction: "Instruction", text: "Plain text" };

/** What the model is trained on for each record format, in plain words. */
export const formatExplanations: Record<string, string> = {
  chat: "Conversations. User and system turns are the prompt; the model learns to write the assistant turns.",
  instruction: "Instruction, optional input, and output. The model learns to write the output.",
  text: "Plain text. The model learns all of it (language modelling).",
};

export const statusBadges: Record<string, { label: string; variant: BadgeVariant }> = {
  pending: { label: "Pending", variant: "warning" },
  accepted: { label: "Accepted", variant: "success" },
  rejected: { label: "Rejected", variant: "danger" },
};

const licenseUrls: Record<string, string> = {
  "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
  "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
  "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
};

export function licenseUrl(license: string): string | null {
  return licenseUrls[license] ?? null;
}

export function licenseLabel(license: string): string {
  return license === "custom" ? "Custom license" : license;
}

const integer = new Intl.NumberFormat("en");
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

export function formatCount(n: number): string {
  return integer.format(n);
}

/** 12.3K, 4.5M: for stat cards where space is short. */
export function formatCompact(n: number): string {
  return n < 10_000 ? integer.format(n) : compact.format(n);
}

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const dateOnly = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });

export function formatDateTime(value: Date | string): string {
  return `${dateTime.format(new Date(value))} UTC`;
}

export function formatDate(value: Date | string): string {
  return dateOnly.format(new Date(value));
}

/** 0x1234…abcd: enough to recognise a wallet or hash, short enough for a table cell. */
export function shortHex(value: string, keep = 6): string {
  return value.length <= keep * 2 + 1 ? value : `${value.slice(0, keep)}…${value.slice(-4)}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** The first line of what a record asks (or says), for table cells. */
export function recordPreview(training: { prompt: string[]; answer: string[] }, length = 90): string {
  const text = (training.prompt[0] ?? training.answer[0] ?? "").replace(/\s+/g, " ").trim();
  return text.length > length ? `${text.slice(0, length - 1)}…` : text || "(empty)";
}
