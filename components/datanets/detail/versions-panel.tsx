"use client";
// The Versions tab: publish a version (owners and admins) and the list of published
// ones with what changed, their Merkle root, their commit on chain, and their snapshot and
// manifest files.
import { useMutation, useQuery } from "@tanstack/react-query";
import { ChainStatusBanner } from "@/components/chain/chain-status-banner";
import { CommitStatus, type Commit } from "@/components/chain/commit-status";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, CardBody, CardHeader, EmptyState, useToast } from "@/components/ui";
import { formatCount, formatDateTime, plural, shortHex } from "./format";
import type { DatanetRef, VersionRow } from "./types";
import { useRefreshDatanet } from "./use-curation";

const explanation =
  "Publishing freezes the accepted records, as they are now, into an immutable snapshot. Fine-tuning trains on a version, so every model can be traced to the exact records and contributors it learned from.";

function Change({ added, removed, noun }: { added: number; removed: number; noun: string }) {
  if (added === 0 && removed === 0) return <span className="text-gray-600">no {noun} changes</span>;
  return (
    <span>
      <span className="font-medium text-success-700">+{formatCount(added)}</span>
      {" / "}
      <span className="font-medium text-danger-700">−{formatCount(removed)}</span> {noun}
    </span>
  );
}

/** How often the commits are read again while one is still on its way. */
const COMMITS_REFRESH_MS = 3_000;

function VersionItem({ version, latest, commit, onRetry, retrying, onDownload, downloading }: {
  version: VersionRow;
  latest: boolean;
  /** undefined: no chain is set, so nothing is shown about it. */
  commit: Commit | null | undefined;
  /** null: the viewer may not retry commits. */
  onRetry: (() => void) | null;
  retrying: boolean;
  onDownload: (file: "snapshot" | "manifest") => void;
  downloading: "snapshot" | "manifest" | null;
}) {
  const { toast } = useToast();
  async function copyRoot() {
    try {
      await navigator.clipboard.writeText(version.merkleRoot);
      toast({ title: "Merkle root copied", variant: "success" });
    } catch {
      toast({ title: "Could not copy", description: "Your browser blocked the clipboard; select the root and copy it by hand.", variant: "error" });
    }
  }
  return (
    <li className="px-4 py-4 sm:px-6">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h3 className="flex items-center gap-2 text-base font-semibold text-gray-900">
            Version {version.number} {latest && <Badge variant="brand">Latest</Badge>}
          </h3>
          <p className="mt-0.5 text-sm text-gray-600">Published {formatDateTime(version.createdAt)}</p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button size="sm" variant="secondary" loading={downloading === "snapshot"} onClick={() => onDownload("snapshot")}>
            Download snapshot<span className="sr-only"> of version {version.number}</span>
          </Button>
          <Button size="sm" variant="ghost" loading={downloading === "manifest"} onClick={() => onDownload("manifest")}>
            Manifest<span className="sr-only"> of version {version.number}</span>
          </Button>
        </div>
      </div>
      <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
        <div>
          <dt className="text-gray-600">Records</dt>
          <dd className="font-medium text-gray-900">{formatCount(version.recordCount)}</dd>
        </div>
        <div>
          <dt className="text-gray-600">Contributors</dt>
          <dd className="font-medium text-gray-900">{formatCount(version.contributorCount)}</dd>
        </div>
        <div>
          <dt className="text-gray-600">Tokens</dt>
          <dd className="font-medium text-gray-900">{formatCount(version.tokenCount)}</dd>
        </div>
        <div>
          <dt className="text-gray-600">Since the previous version</dt>
          <dd className="text-gray-900">
            <Change added={version.recordsAdded} removed={version.recordsRemoved} noun="records" />
            <br />
            <Change added={version.contributorsAdded} removed={version.contributorsRemoved} noun="contributors" />
          </dd>
        </div>
      </dl>
      <div className="mt-3 flex flex-wrap items-center gap-2 text-sm">
        <span className="text-gray-600">Merkle root</span>
        <code className="rounded bg-gray-100 px-1.5 py-0.5 font-mono text-xs text-gray-900" title={version.merkleRoot}>{shortHex(version.merkleRoot, 10)}</code>
        <Button size="sm" variant="ghost" onClick={copyRoot}>Copy<span className="sr-only"> Merkle root of version {version.number}</span></Button>
      </div>
      {commit !== undefined && (
        <div className="mt-2 flex flex-wrap items-start gap-2 text-sm">
          <span className="text-gray-600">On chain</span>
          <CommitStatus commit={commit} subject={`version ${version.number}`} />
          {commit?.status === "failed" && onRetry && (
            <Button size="sm" variant="secondary" loading={retrying} onClick={onRetry}>
              Retry<span className="sr-only"> the commit of version {version.number}</span>
            </Button>
          )}
        </div>
      )}
    </li>
  );
}

/** The chain banner in the card's padding, only when it has something to say. */
function ChainBanner() {
  return (
    <div className="px-4 pt-4 empty:hidden sm:px-6">
      <ChainStatusBanner />
    </div>
  );
}

export function VersionsPanel({ orgSlug, datanetSlug, canPublish }: DatanetRef & { canPublish: boolean }) {
  const trpc = useTRPC();
  const { toast } = useToast();
  const refresh = useRefreshDatanet({ orgSlug, datanetSlug });
  const versions = useQuery(trpc.datanets.versions.queryOptions({ orgSlug, datanetSlug }));
  const chain = useQuery(trpc.chain.status.queryOptions());
  const commits = useQuery({
    ...trpc.chain.datanetCommits.queryOptions({ orgSlug, datanetSlug }),
    enabled: chain.data?.configured === true,
    refetchInterval: (query) => (query.state.data?.some((c) => c.status === "pending" || c.status === "sent") ? COMMITS_REFRESH_MS : false),
  });
  const commitOf = (number: number): Commit | null | undefined =>
    chain.data?.configured && commits.data ? (commits.data.find((c) => c.version === number) ?? null) : undefined;
  const onError = (title: string) => (error: unknown) => toast({ title, description: serverErrors(error).message, variant: "error" });
  const publish = useMutation(
    trpc.datanets.publishVersion.mutationOptions({
      onSuccess: async (v) => {
        toast({ title: `Version ${v.number} published`, variant: "success", description: "It is ready to fine-tune on." });
        await refresh();
      },
      onError: onError("Not published"),
    }),
  );
  const retry = useMutation(
    trpc.chain.retryVersionCommit.mutationOptions({
      onSuccess: async () => {
        toast({ title: "Commit queued again", variant: "success", description: "It is sent with the chain's current settings and roles." });
        await refresh();
      },
      onError: onError("Not queued"),
    }),
  );
  const download = useMutation(
    trpc.datanets.downloadUrl.mutationOptions({
      onSuccess: ({ url }) => window.location.assign(url),
      onError: onError("Download failed"),
    }),
  );
  const publishButton = canPublish && (
    <Button loading={publish.isPending} onClick={() => publish.mutate({ orgSlug, datanetSlug })}>Publish version</Button>
  );
  const list = versions.data ?? [];

  return (
    <Card>
      <CardHeader
        title="Versions"
        description={canPublish ? explanation : `${explanation} Owners and admins publish versions.`}
        actions={list.length > 0 && publishButton}
      />
      {versions.error && <CardBody><FormAlert message={serverErrors(versions.error).message} /></CardBody>}
      <ChainBanner />
      {list.length === 0 ? (
        <CardBody>
          <EmptyState
            title="No versions yet"
            description={
              canPublish
                ? "Accept some contributions, then publish the first version. Each version has a Merkle root over its records, so anyone can check that a record was in it."
                : "No one has published a version yet. Each version has a Merkle root over its records, so anyone can check that a record was in it."
            }
            action={publishButton || undefined}
          />
        </CardBody>
      ) : (
        <ol aria-label={plural(list.length, "version")} className="divide-y divide-gray-200">
          {list.map((version, i) => (
            <VersionItem
              key={version.id}
              version={version}
              latest={i === 0}
              commit={commitOf(version.number)}
              onRetry={canPublish ? () => retry.mutate({ orgSlug, datanetSlug, version: version.number }) : null}
              retrying={retry.isPending && retry.variables?.version === version.number}
              downloading={download.isPending && download.variables?.version === version.number ? download.variables.file : null}
              onDownload={(file) => download.mutate({ orgSlug, datanetSlug, version: version.number, file })}
            />
          ))}
        </ol>
      )}
    </Card>
  );
}
