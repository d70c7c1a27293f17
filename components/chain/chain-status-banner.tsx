"use client";
// The commit pipeline in one line, for any page that shows chain state: "Chain unreachable: N
// commits pending" while the node does not answer, or the latest problem while commits wait.
// Renders nothing when there is no chain or nothing is wrong.
import { useQuery } from "@tanstack/react-query";
import { formatDateTime, plural } from "@/components/datanets/detail/format";
import { useTRPC } from "@/components/trpc/client";

const REFRESH_MS = 15_000;

export function ChainStatusBanner() {
  const trpc = useTRPC();
  const { data: status } = useQuery({ ...trpc.chain.status.queryOptions(), refetchInterval: REFRESH_MS });
  if (!status?.configured) return null;
  const pending = `${plural(status.pending, "commit")} pending`;
  let title: string;
  let detail: string;
  if (!status.reachable) {
    title = `Chain unreachable: ${pending}`;
    detail = `${status.unreachableReason}. Nothing is lost: they are sent when the node answers again.`;
  } else if (status.pending > 0 && status.lastProblem?.message) {
    title = `${pending} on chain ${status.chainId}`;
    detail = `Latest problem: ${status.lastProblem.message}. Next try after ${formatDateTime(status.lastProblem.nextAttemptAt)}.`;
  } else {
    return null;
  }
  return (
    <div role="status" className="rounded-control border border-warning-200 bg-warning-50 px-3 py-2 text-sm text-warning-800">
      <p className="font-medium">{title}</p>
      <p className="mt-0.5 break-words">{detail}</p>
    </div>
  );
}
