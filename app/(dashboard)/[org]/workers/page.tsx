import type { Metadata } from "next";
import { PageHeader } from "@/components/page-header";
import { requireOrg } from "@/components/shell/current-org";
import { HydrateClient, getQueryClient, trpc } from "@/components/trpc/server";
import { Card, CardBody, CardHeader, EmptyState } from "@/components/ui";
import { ConnectCommand } from "@/components/workers/connect-command";
import { WorkerTokens } from "@/components/workers/worker-tokens";
import { WorkersTable } from "@/components/workers/workers-table";
import { env } from "@/server/env";
import { hasRole } from "@/server/orgs/roles";

export const metadata: Metadata = { title: "Workers" };

export default async function WorkersPage({ params }: PageProps<"/[org]/workers">) {
  const { org: orgSlug } = await params;
  const org = await requireOrg(orgSlug);
  const admin = hasRole(org.role, "admin");
  const queryClient = getQueryClient();
  const input = { orgSlug };
  await Promise.all([
    queryClient.prefetchQuery(trpc.workers.list.queryOptions(input)),
    queryClient.prefetchQuery(trpc.finetune.catalog.queryOptions(input)),
    admin && queryClient.prefetchQuery(trpc.workers.tokens.queryOptions(input)),
  ]);
  const empty = (
    <EmptyState
      title="No workers connected"
      description={
        admin
          ? "A worker is a machine that trains and serves your models; it connects to Tributary over HTTPS, so it can sit behind NAT or on a rented GPU. Create a token below and start a worker with it."
          : "A worker is a machine that trains and serves your models. Ask an admin of this organization to create a worker token and connect one."
      }
      icon={
        <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
          <path d="M4 5h16v10H4zM8 19h8M12 15v4" />
        </svg>
      }
    />
  );
  return (
    <HydrateClient>
      <PageHeader
        title="Workers"
        description="Machines that train and serve this organization's models: its own, and shared platform workers. Fine-tunes wait in the queue until a worker that can load their base model is online."
      />
      <div className="space-y-6">
        <WorkersTable orgSlug={orgSlug} empty={empty} />
        {admin && (
          <>
            <Card>
              <CardHeader title="Connect a worker" description="On the machine, with a token from below:" />
              <CardBody><ConnectCommand appUrl={env.APP_URL} /></CardBody>
            </Card>
            <WorkerTokens orgSlug={orgSlug} appUrl={env.APP_URL} />
          </>
        )}
      </div>
    </HydrateClient>
  );
}
