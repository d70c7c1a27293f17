import type { Metadata } from "next";
import Link from "next/link";
import { requireOrg } from "@/components/shell/current-org";
import { PageHeader } from "@/components/page-header";
import { Badge, Card, CardBody, CardHeader } from "@/components/ui";
import { healthReport } from "@/server/health";

export const metadata: Metadata = { title: "Overview" };

const steps = [
  { segment: "datanets", title: "Pool your data", text: "Create a Datanet and upload domain records." },
  { segment: "models", title: "Fine-tune a model", text: "Train a LoRA adapter on a Datanet version." },
  { segment: "deployments", title: "Deploy it", text: "Serve it and call it with an API key." },
  { segment: "settings/members", title: "Invite your team", text: "Add admins, members and viewers." },
] as const;

const statusVariant = { ok: "success", degraded: "danger", "not configured": "neutral" } as const;

export default async function OverviewPage({ params }: PageProps<"/[org]">) {
  const { org: orgSlug } = await params;
  const [org, health] = await Promise.all([requireOrg(orgSlug), healthReport()]);
  return (
    <>
      <PageHeader title={org.name} description={<>You are <strong>{org.role}</strong> here.</>} />
      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="min-w-0 lg:col-span-2">
          <CardHeader title="Getting started" description="From community data to a deployed, attributed model." />
          <CardBody>
            <ol className="grid gap-3 sm:grid-cols-2">
              {steps.map((step, i) => (
                <li key={step.segment}>
                  <Link href={`/${org.slug}/${step.segment}`} className="block h-full rounded-control border border-gray-200 p-4 hover:border-brand-300 hover:bg-brand-50">
                    <span className="text-sm font-semibold text-gray-900">{i + 1}. {step.title}</span>
                    <span className="mt-1 block text-sm text-gray-600">{step.text}</span>
                  </Link>
                </li>
              ))}
            </ol>
          </CardBody>
        </Card>
        <Card className="min-w-0">
          <CardHeader title="System status" description={<>From <code>/api/health</code></>} />
          <CardBody>
            <ul className="space-y-3">
              {Object.entries(health.checks).map(([name, check]) => (
                <li key={name} className="flex items-start justify-between gap-3 text-sm">
                  <span className="min-w-0">
                    <span className="font-medium capitalize text-gray-900">{name}</span>
                    <span className="block truncate text-xs text-gray-600">{"reason" in check ? check.reason : check.detail}</span>
                  </span>
                  <Badge variant={statusVariant[check.status]}>{check.status}</Badge>
                </li>
              ))}
            </ul>
          </CardBody>
        </Card>
      </div>
    </>
  );
}
