// Step 1: the Datanet versions to train on; the org's own first, public ones marked.
import Link from "next/link";
import { formatCount, formatDate, formatLabels } from "@/components/datanets/detail/format";
import { Badge, EmptyState, buttonClasses } from "@/components/ui";
import type { TrainableVersion } from "../types";
import { OptionCard } from "./option-card";

type Props = {
  orgSlug: string;
  versions: TrainableVersion[];
  picked: string[];
  onChange: (picked: string[]) => void;
};

function VersionOption({ version, checked, onToggle }: { version: TrainableVersion; checked: boolean; onToggle: () => void }) {
  return (
    <OptionCard type="checkbox" checked={checked} onChange={onToggle}>
      <span className="flex flex-wrap items-center gap-2">
        <span className="text-sm font-medium text-gray-900">{version.datanetName} v{version.number}</span>
        <Badge>{formatLabels[version.recordFormat]}</Badge>
        {!version.own && <Badge variant="brand">Public · {version.ownerOrgName}</Badge>}
      </span>
      <span className="mt-0.5 block text-sm text-gray-600">
        {formatCount(version.recordCount)} records · {formatCount(version.tokenCount)} tokens · published {formatDate(version.createdAt)}
      </span>
    </OptionCard>
  );
}

export function StepData({ orgSlug, versions, picked, onChange }: Props) {
  if (versions.length === 0) {
    return (
      <EmptyState
        title="No published Datanet version yet"
        description="Fine-tuning trains on a published version of a Datanet. Create one (or find a public one), add records, and publish a version on its Versions tab."
        action={<Link href={`/${orgSlug}/datanets`} className={buttonClasses()}>Go to Datanets</Link>}
      />
    );
  }
  const toggle = (id: string) => onChange(picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id]);
  const groups = [
    { title: "Your Datanets", items: versions.filter((v) => v.own) },
    { title: "Public Datanets", items: versions.filter((v) => !v.own) },
  ].filter((g) => g.items.length > 0);
  return (
    <fieldset className="space-y-4">
      <legend className="text-sm text-gray-700">Pick one or more versions. Several are trained on together as one set of examples.</legend>
      {groups.map((g) => (
        <div key={g.title}>
          <h3 className="mb-2 text-sm font-semibold text-gray-900">{g.title}</h3>
          <div className="grid gap-2 lg:grid-cols-2">
            {g.items.map((v) => (
              <VersionOption key={v.versionId} version={v} checked={picked.includes(v.versionId)} onToggle={() => toggle(v.versionId)} />
            ))}
          </div>
        </div>
      ))}
    </fieldset>
  );
}
