// Where something is on chain: its block and transaction hash as text, linked to the block
// explorer when CHAIN_EXPLORER_URL is set.
import { shortHex } from "@/components/datanets/detail/format";

const linkClasses = "text-brand-800 underline-offset-2 hover:underline";

export function TxRef({ txHash, blockNumber, explorerUrl }: { txHash: string; blockNumber: string | number; explorerUrl: string | null }) {
  const base = explorerUrl?.replace(/\/+$/, "");
  return (
    <span className="inline-flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
      <span className="whitespace-nowrap">
        block {base ? <a href={`${base}/block/${blockNumber}`} className={linkClasses}>{blockNumber}</a> : blockNumber}
      </span>
      <code className="rounded bg-gray-100 px-1.5 py-0.5 font-mono text-xs text-gray-900" title={txHash}>
        tx {base ? <a href={`${base}/tx/${txHash}`} className={linkClasses}>{shortHex(txHash, 10)}</a> : shortHex(txHash, 10)}
      </code>
    </span>
  );
}
