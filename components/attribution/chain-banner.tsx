"use client";
// The chain's state above every attribution page: the commit pipeline's banner ("Chain
// unreachable: N commits pending") and, below it, the indexer's: behind the node by N blocks, or
// failing to read it. What the pages show of the chain is only as new as the indexer.
import { useQuery } from "@tanstack/react-query";
import { ChainStatusBanner } from "@/components/chain/chain-status-banner";
import { formatCount, plural } from "@/components/datanets/detail/format";
import { useTRPC } from "@/components/trpc/client";
import { Notice } from "./notice";

const REFRESH_MS = 15_000;

/** The chain as the attribution pages use it (explorer, rewards contract, indexer progress). */
export function useChainInfo() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.attributionDashboards.chainInfo.queryOptions(), refetchInterval: REFRESH_MS });
}

function IndexerLine() {
  const { data } = useChainInfo();
  if (!data?.configured) return null;
  const { indexer } = data;
  let title: string;
  let detail: string;
  if (indexer.lastError) {
    title = "The chain indexer cannot read the chain";
    detail = `${indexer.lastError}. It retries on its own; commits and claims made meanwhile show once it reads them.`;
  } else if (indexer.indexedBlock === null) {
    title = "The chain indexer has not read this chain yet";
    detail = "Commits and claims show here once it has. It starts with the services process.";
  } else if (indexer.behind && indexer.lag !== null) {
    title = `The chain indexer is ${plural(indexer.lag, "block")} behind`;
    detail = `It has read up to block ${formatCount(Number(indexer.indexedBlock))} of ${formatCount(Number(indexer.head))}: the newest commits and claims show once it catches up.`;
  } else {
    return null;
  }
  return <Notice title={title}>{detail}</Notice>;
}

export function AttributionChainBanner() {
  return (
    <div className="space-y-2 empty:hidden">
      <ChainStatusBanner />
      <IndexerLine />
    </div>
  );
}
