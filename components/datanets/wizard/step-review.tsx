// Step 5: every choice on one page, each section with a way back to change it.
import type { ReactNode } from "react";
import { Badge, Button } from "@/components/ui";
import { formatChoices, labelOf, licenseChoices, policyChoices, visibilityChoices, type WizardValues } from "./fields";
import { Markdown } from "./markdown";

type Props = {
  values: WizardValues;
  live: boolean;
  /** Accepted and pending records so far, once known. */
  counts: { records: number; pending: number } | null;
  goTo: (step: number) => void;
};

function Section({ title, step, goTo, children }: { title: string; step: number; goTo: (step: number) => void; children: ReactNode }) {
  return (
    <section className="border-b border-gray-200 pb-4 last:border-b-0 last:pb-0">
      <div className="mb-2 flex items-center justify-between gap-3">
        <h3 className="text-sm font-semibold text-gray-900">{title}</h3>
        <Button variant="ghost" size="sm" onClick={() => goTo(step)} aria-label={`Edit ${title}`}>Edit</Button>
      </div>
      <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[11rem_1fr]">{children}</dl>
    </section>
  );
}

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-gray-600">{term}</dt>
      <dd className="min-w-0 text-gray-900">{children}</dd>
    </>
  );
}

const none = <span className="text-gray-600">None</span>;

export function StepReview({ values, live, counts, goTo }: Props) {
  return (
    <div className="space-y-4">
      <Section title="Basics" step={0} goTo={goTo}>
        <Row term="Name">{values.name}</Row>
        <Row term="Summary">{values.summary || none}</Row>
        <Row term="Description">
          {values.description.trim() ? (
            <div className="max-h-64 overflow-y-auto rounded-control border border-gray-200 p-3"><Markdown source={values.description} /></div>
          ) : (
            none
          )}
        </Row>
        <Row term="Tags">
          {values.tags.length > 0 ? <span className="flex flex-wrap gap-1">{values.tags.map((t) => <Badge key={t} variant="brand">{t}</Badge>)}</span> : none}
        </Row>
      </Section>
      <Section title="License" step={1} goTo={goTo}>
        <Row term="License">
          {labelOf(licenseChoices, values.license)}
          <span className="block text-gray-600">{licenseChoices.find((c) => c.value === values.license)?.description}</span>
        </Row>
        {values.license === "custom" && (
          <Row term="License text">
            <pre className="max-h-40 overflow-y-auto rounded-control bg-gray-100 p-2 font-sans text-sm whitespace-pre-wrap">{values.licenseText || "Missing: paste it on the License step."}</pre>
          </Row>
        )}
      </Section>
      <Section title="Access & format" step={2} goTo={goTo}>
        <Row term="Visibility">{labelOf(visibilityChoices, values.visibility)}</Row>
        <Row term="Record format">{labelOf(formatChoices, values.recordFormat)}</Row>
        <Row term="Contribution policy">{labelOf(policyChoices, values.contributionPolicy)}</Row>
      </Section>
      <Section title="First upload" step={3} goTo={goTo}>
        <Row term="Records">
          {!counts
            ? "…"
            : counts.records + counts.pending > 0
              ? `${counts.records.toLocaleString()} accepted, ${counts.pending.toLocaleString()} awaiting review`
              : "None yet. You can add files from the Datanet's page at any time."}
        </Row>
      </Section>
      <p className="text-sm text-gray-700">
        {live
          ? "Your Datanet is already live. Finish to open its page."
          : "Creating the Datanet makes it live: members can contribute to it, and its record format is fixed from then on."}
      </p>
    </div>
  );
}
