// The empty state of a dashboard area that has not been built yet: what will live there.
import { PageHeader } from "@/components/page-header";
import { EmptyState } from "@/components/ui";

const areas = {
  datanets: {
    title: "Datanets",
    description: "Datanets pool domain data from a community, with each record credited to its contributor.",
    empty: "No Datanets yet",
    next: "Here you will create a Datanet with a short wizard, upload JSONL, CSV, text or PDF files, curate contributions and publish immutable versions to fine-tune on.",
  },
  attribution: {
    title: "Attribution",
    description: "Which contributors' records each answer drew on, committed on-chain.",
    empty: "No attribution yet",
    next: "Here you will see earnings by model and Datanet, each answer's matched spans, the on-chain commits, and claim rewards with your wallet.",
  },
} as const;

export type Area = keyof typeof areas;

export function AreaPlaceholder({ area }: { area: Area }) {
  const text = areas[area];
  return (
    <>
      <PageHeader title={text.title} description={text.description} />
      <EmptyState title={text.empty} description={text.next} />
    </>
  );
}
