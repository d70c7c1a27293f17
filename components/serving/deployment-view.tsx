"use client";
// One deployment: the name to pass as `model` (with a copy button), its state and why, what it
// serves, its fee split, and how to call it. Polls while it is pending or loading.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDate } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { PageHeader } from "@/components/page-header";
import { useTRPC } from "@/components/trpc/client";
import { Card, CardBody, CardHeader, CopyButton, EmptyState, buttonClasses } from "@/components/ui";
import { DeploymentStatusBadge, isSettling } from "./deployment-status";
import { DeploymentActions } from "./deployments-table";
import { FeeSplitCard } from "./fee-split-card";

/** A chat call with curl; the key comes from an environment variable, never pasted into the command. */
const curlCall = (baseUrl: string, model: string) =>
  [
    `curl ${baseUrl}/chat/completions \\`,
    `  -H "Authorization: Bearer $TRIBUTARY_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`,
  ].join("\n");

function Fact({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-gray-600">{term}</dt>
      <dd className="mt-0.5 text-sm text-gray-900 [overflow-wrap:anywhere]">{children}</dd>
    </div>
  );
}

export function DeploymentView({ orgSlug, name, baseUrl, canManage }: { orgSlug: string; name: string; baseUrl: string; canManage: boolean }) {
  const trpc = useTRPC();
  const deployment = useQuery({
    ...trpc.deployments.get.queryOptions({ orgSlug, name }),
    refetchInterval: (query) => (isSettling(query.state.data?.status) ? 1500 : 15_000),
  });
  if (deployment.isError && !deployment.data) {
    return (
      <EmptyState
        titleAs="h1"
        title={`No deployment “${name}”`}
        description={serverErrors(deployment.error).message}
        action={<Link href={`/${orgSlug}/deployments`} className={buttonClasses()}>Back to Deployments</Link>}
      />
    );
  }
  const d = deployment.data;
  if (!d) return null;
  const curl = curlCall(baseUrl, d.name);
  const problem = d.status === "failed" ? d.statusMessage : d.status === "ready" && d.servingWorkers === 0 ? `No worker serving ${d.baseModel} is online right now: calls get 503 until one is (Workers page).` : null;

  return (
    <>
      <PageHeader
        title={d.name}
        description={<>Serves <Link href={`/${orgSlug}/models/${d.modelSlug}?version=${d.versionNumber}`} className="font-medium text-brand-800 hover:underline">{d.modelName} v{d.versionNumber}</Link> on {d.baseModel}.</>}
        actions={canManage && <DeploymentActions orgSlug={orgSlug} deployment={d} />}
      />
      <div className="space-y-6">
        <Card>
          <CardHeader title="Model name" description="Pass this as model in OpenAI-compatible calls." />
          <CardBody className="space-y-4">
            <div className="flex items-center gap-2">
              <code aria-label="Model name" className="min-w-0 flex-1 truncate rounded-control border border-gray-300 bg-gray-50 px-3 py-2 font-mono text-sm">{d.name}</code>
              <CopyButton value={d.name} what="model name" />
            </div>
            <dl className="grid grid-cols-2 gap-4 lg:grid-cols-4">
              <Fact term="Status"><DeploymentStatusBadge status={d.status} live /></Fact>
              <Fact term="Base model"><span className="font-mono text-xs">{d.baseModel}</span></Fact>
              <Fact term="Workers online with it">{d.servingWorkers}</Fact>
              <Fact term="Deployed">{formatDate(d.createdAt)}</Fact>
            </dl>
            {d.statusMessage && d.status !== "failed" && <p className="text-sm text-gray-600">{d.statusMessage}</p>}
            <FormAlert message={problem} />
          </CardBody>
        </Card>
        <FeeSplitCard orgSlug={orgSlug} deployment={d} canManage={canManage} />
        <Card>
          <CardHeader
            title="Call it"
            description={<>With a key from <Link href={`/${orgSlug}/api-keys`} className="font-medium text-brand-800 underline">API keys</Link>; JavaScript and Python examples are on the <Link href={`/${orgSlug}/api-keys/quickstart`} className="font-medium text-brand-800 underline">quickstart</Link>.</>}
          />
          <CardBody>
            <div className="flex items-start gap-2">
              <pre aria-label="curl command" className="min-w-0 flex-1 overflow-x-auto rounded-control bg-gray-900 px-3 py-2.5 font-mono text-xs leading-relaxed text-gray-50">{curl}</pre>
              <CopyButton value={curl} what="curl command" />
            </div>
          </CardBody>
        </Card>
      </div>
    </>
  );
}
