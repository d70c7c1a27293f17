"use client";
// The answer with its matched spans highlighted. The platform keeps no answer text, only its
// SHA-256 and, per span, its offsets and its normalized words (text the training records hold).
// So the answer is drawn as its spans in order with the gaps between them as lengths; whoever
// has the answer can paste it, and if its SHA-256 is the stored one, the spans are highlighted in
// the real text. The pasted text stays in the browser.
import { useState } from "react";
import { Textarea } from "@/components/ui";
import type { InferenceAttribution } from "./types";

type Span = InferenceAttribution["spans"][number];

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const markClasses = "rounded-sm bg-brand-100 px-0.5 text-brand-900 ring-1 ring-brand-200";

function SpanMark({ index, children }: { index: number; children: string }) {
  return (
    <mark className={markClasses}>
      {children}
      <a href={`#span-${index + 1}`} className="ml-0.5 align-super text-[0.65rem] font-semibold text-brand-800 no-underline">
        {index + 1}
        <span className="sr-only"> (span {index + 1})</span>
      </a>
    </mark>
  );
}

const Gap = ({ length }: { length: number }) => <span className="mx-0.5 rounded-sm bg-gray-100 px-1 text-xs text-gray-600 italic">{length.toLocaleString("en")} characters not kept</span>;

/** The spans as stored, in order, with the unmatched stretches between them as lengths. */
function StoredSkeleton({ spans }: { spans: Span[] }) {
  const parts = [];
  let at = 0;
  spans.forEach((span, i) => {
    if (span.start > at) parts.push(<Gap key={`gap-${i}`} length={span.start - at} />);
    parts.push(<SpanMark key={`span-${i}`} index={i}>{span.text}</SpanMark>);
    at = span.end;
  });
  parts.push(<span key="rest" className="mx-0.5 rounded-sm bg-gray-100 px-1 text-xs text-gray-600 italic">the rest, if any, not kept</span>);
  return <p className="leading-7 break-words text-gray-900">{parts}</p>;
}

/** The pasted answer with each span's stored offsets highlighted. */
function Highlighted({ text, spans }: { text: string; spans: Span[] }) {
  const parts = [];
  let at = 0;
  spans.forEach((span, i) => {
    if (span.start > at) parts.push(<span key={`text-${i}`}>{text.slice(at, span.start)}</span>);
    parts.push(<SpanMark key={`span-${i}`} index={i}>{text.slice(span.start, span.end)}</SpanMark>);
    at = span.end;
  });
  parts.push(<span key="rest">{text.slice(at)}</span>);
  return <p className="leading-7 break-words whitespace-pre-wrap text-gray-900">{parts}</p>;
}

export function AnswerSpans({ spans, outputSha256 }: { spans: Span[]; outputSha256: string }) {
  const [pasted, setPasted] = useState("");
  const [check, setCheck] = useState<{ text: string; sha256: string } | null>(null);
  const matches = check !== null && check.sha256 === outputSha256 && check.text === pasted;

  async function onChange(text: string) {
    setPasted(text);
    setCheck(text ? { text, sha256: await sha256Hex(text) } : null);
  }

  return (
    <div className="space-y-4">
      {matches ? (
        <Highlighted text={pasted} spans={spans} />
      ) : (
        <>
          <p className="text-xs text-gray-600">The answer is not kept after attribution, only its SHA-256. Its matched spans are shown as stored (normalized: lower case, single spaces), with the length of what lies between them.</p>
          <StoredSkeleton spans={spans} />
        </>
      )}
      <Textarea
        label="Have the answer? Paste it to see the spans in it"
        hint="It is checked against the stored SHA-256 in your browser and sent nowhere."
        rows={3}
        value={pasted}
        onChange={(e) => void onChange(e.target.value)}
      />
      {check && check.text === pasted && (
        <p role="status" className={matches ? "text-sm text-success-700" : "text-sm break-words text-danger-700"}>
          {matches
            ? "This is the attributed answer: its SHA-256 matches. The spans are highlighted in it above."
            : `Not the attributed answer: its SHA-256 is ${check.sha256.slice(0, 16)}…, the stored one ${outputSha256.slice(0, 16)}…. Paste it exactly as returned, whitespace included.`}
        </p>
      )}
    </div>
  );
}
