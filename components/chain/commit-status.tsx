// One commit's state in words: queued (retrying, with why), sent (its transaction hash as text),
// in a block awaiting confirmations, committed, or not committed with the contract's reason.
import { shortHex } from "@/components/datanets/detail/format";
import { Badge, type BadgeVariant } from "@/components/ui";

export interface Commit {
  status: "pending" | "sent" | "confirmed" | "failed";
  txHash: string | null;
  blockNumber: number | null;
  attempts: number;
  lastError: string | null;
}

const badges: Record<Commit["status"], { label: string; variant: BadgeVariant }> = {
  pending: { label: "Queued", variant: "neutral" },
  sent: { label: "Sent", variant: "warning" },
  confirmed: { label: "Committed", variant: "success" },
  failed: { label: "Not committed", variant: "danger" },
};

function describe(commit: Commit): string {
  switch (commit.status) {
    case "pending":
      return commit.lastError ? `retrying (attempt ${commit.attempts}): ${commit.lastError}` : "waiting to be sent";
    case "sent":
      return commit.blockNumber === null ? "waiting for a block" : `in block ${commit.blockNumber}, waiting for confirmations`;
    case "confirmed":
      return `in block ${commit.blockNumber}`;
    case "failed":
      return commit.lastError ?? "no reason recorded";
  }
}

/** `failedLabel`: the badge of a failed call that is not a commit (e.g. "Not funded"). */
export function CommitStatus({ commit, subject, failedLabel }: { commit: Commit | null; subject: string; failedLabel?: string }) {
  if (!commit) return <span className="text-gray-600">Not committed: published before a chain was set up</span>;
  const badge = commit.status === "failed" && failedLabel ? { ...badges.failed, label: failedLabel } : badges[commit.status];
  return (
    <span className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
      <Badge variant={badge.variant}>
        {badge.label}
        <span className="sr-only"> {subject}</span>
      </Badge>
      <span className="min-w-0 break-words text-gray-700">{describe(commit)}</span>
      {commit.txHash && (
        <code className="rounded bg-gray-100 px-1.5 py-0.5 font-mono text-xs text-gray-900" title={commit.txHash}>
          tx {shortHex(commit.txHash, 10)}
        </code>
      )}
    </span>
  );
}
