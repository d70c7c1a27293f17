// The About tab: the Datanet's description (Markdown, rendered safely), its license,
// and what contributors and fine-tuning need to know about its records.
import { Markdown } from "@/components/datanets/wizard/markdown";
import { Badge, Card, CardBody, CardHeader } from "@/components/ui";
import { formatDate, formatExplanations, formatLabels, licenseLabel, licenseUrl } from "./format";
import type { Datanet } from "./types";

const policies: Record<string, string> = {
  approval: "Every contribution waits for an owner or admin to accept it.",
  auto_org: "Members of this organization are accepted at once; everyone else waits for review.",
};

export function AboutPanel({ datanet }: { datanet: Datanet }) {
  const url = licenseUrl(datanet.license);
  return (
    <div className="grid items-start gap-6 lg:grid-cols-[1fr_20rem]">
      <Card>
        <CardHeader title="Description" />
        <CardBody>
          {datanet.description.trim() ? (
            <Markdown source={datanet.description} />
          ) : (
            <p className="text-sm text-gray-600">No description yet.</p>
          )}
        </CardBody>
      </Card>
      <div className="space-y-6">
        <Card>
          <CardHeader title="License" as="h2" />
          <CardBody className="space-y-2 text-sm text-gray-700">
            <p>
              Its records are shared under{" "}
              {url ? (
                <a href={url} target="_blank" rel="noopener noreferrer" className="font-medium text-brand-700 underline">{datanet.license}</a>
              ) : (
                <span className="font-medium text-gray-900">{licenseLabel(datanet.license)}</span>
              )}
              . Published versions and the models trained on them carry it.
            </p>
            {datanet.license === "custom" && datanet.licenseText && (
              <pre className="max-h-80 overflow-y-auto rounded-control bg-gray-50 p-3 font-sans text-xs whitespace-pre-wrap text-gray-800 ring-1 ring-gray-200 ring-inset">{datanet.licenseText}</pre>
            )}
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Details" />
          <CardBody>
            <dl className="space-y-3 text-sm">
              <div>
                <dt className="text-gray-600">Record format</dt>
                <dd className="text-gray-900">
                  <span className="font-medium">{formatLabels[datanet.recordFormat] ?? datanet.recordFormat}.</span> {formatExplanations[datanet.recordFormat]}
                </dd>
              </div>
              <div>
                <dt className="text-gray-600">Contributions</dt>
                <dd className="text-gray-900">{policies[datanet.contributionPolicy] ?? datanet.contributionPolicy}</dd>
              </div>
              <div>
                <dt className="text-gray-600">Visibility</dt>
                <dd className="text-gray-900">
                  {datanet.visibility === "public" ? "Public: listed in the directory; anyone signed in can contribute." : "Private: only members of this organization see and contribute."}
                </dd>
              </div>
              {datanet.tags.length > 0 && (
                <div>
                  <dt className="text-gray-600">Tags</dt>
                  <dd className="mt-1 flex flex-wrap gap-1">{datanet.tags.map((tag) => <Badge key={tag}>{tag}</Badge>)}</dd>
                </div>
              )}
              <div>
                <dt className="text-gray-600">Created</dt>
                <dd className="text-gray-900">{formatDate(datanet.createdAt)}</dd>
              </div>
            </dl>
          </CardBody>
        </Card>
      </div>
    </div>
  );
}
