"use client";
// The Contributors tab: who contributed the accepted records, ranked, with their share
// of the Datanet's tokens (the measure attribution and payouts start from).
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { EmptyState, Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { formatCount, shortHex } from "./format";
import type { DatanetRef } from "./types";

export function ContributorsBoard({ orgSlug, datanetSlug }: DatanetRef) {
  const trpc = useTRPC();
  const input = { orgSlug, datanetSlug };
  const board = useQuery(trpc.datanets.leaderboard.queryOptions(input));
  const stats = useQuery(trpc.datanets.stats.queryOptions(input));
  const rows = board.data ?? [];
  // The leaderboard lists the top 20; shares are of the whole Datanet's accepted tokens.
  const totalTokens = Math.max(stats.data?.tokens ?? 0, rows.reduce((sum, r) => sum + r.tokens, 0), 1);

  if (board.error) return <FormAlert message={serverErrors(board.error).message} />;
  if (!board.isPending && rows.length === 0) {
    return <EmptyState title="No contributors yet" description="Contributors are listed once at least one of their records is accepted." />;
  }
  return (
    <section aria-label="Contributors" className="space-y-3">
      <p className="text-sm text-gray-600">Ranked by accepted records. Share is each contributor’s part of the accepted tokens.</p>
      <Table caption="Contributors by accepted records">
        <THead>
          <TR>
            <TH className="w-12">Rank</TH>
            <TH>Contributor</TH>
            <TH>Wallet</TH>
            <TH className="text-right">Records</TH>
            <TH className="text-right">Tokens</TH>
            <TH>Share of tokens</TH>
          </TR>
        </THead>
        <TBody>
          {rows.map((row, i) => {
            const share = row.tokens / totalTokens;
            const percent = `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
            return (
              <TR key={row.contributorId ?? `deleted-${i}`}>
                <TD className="tabular-nums">{i + 1}</TD>
                <TD className="font-medium text-gray-900">
                  {row.contributorId ? (
                    <Link href={`/${orgSlug}/datanets/${datanetSlug}?contributor=${row.contributorId}`} className="text-brand-700 underline-offset-2 hover:underline">
                      {row.name ?? "Unnamed"}
                    </Link>
                  ) : (
                    "Deleted accounts"
                  )}
                </TD>
                <TD className="font-mono text-xs" title={row.walletAddress ?? undefined}>{row.walletAddress ? shortHex(row.walletAddress) : <span className="font-sans text-gray-600">none linked</span>}</TD>
                <TD className="text-right tabular-nums">{formatCount(row.records)}</TD>
                <TD className="text-right tabular-nums">{formatCount(row.tokens)}</TD>
                <TD>
                  <div className="flex items-center gap-2">
                    <div className="h-2 w-24 overflow-hidden rounded-full bg-gray-100" role="presentation">
                      <div className="h-full rounded-full bg-brand-600" style={{ width: `${Math.max(share * 100, 1)}%` }} />
                    </div>
                    <span className="tabular-nums">{percent}</span>
                  </div>
                </TD>
              </TR>
            );
          })}
        </TBody>
      </Table>
    </section>
  );
}
