// What the dashboards say about the chain: whether its node answers, how many commits wait, the
// latest problem in words, and the commit of each version of a Datanet (retried on request once
// what made it fail is fixed).
import "server-only";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Db } from "@/server/db/connect";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { datanetVersionCommits, findOutboxRow, openRowsSummary, requeueFailedRows } from "@/server/db/queries/chain";
import { findVersion } from "@/server/db/queries/versions";
import { requireDatanet } from "@/server/datanets/datanets";
import type { OrgContext } from "@/server/orgs/orgs";
import type { ChainConfig } from "./config";
import { classifyChainError } from "./errors";
import { VERSION_COMMIT_KEY_PREFIX, versionCommitKey } from "./datanet-commits";

const PROBE_TIMEOUT_MS = 2_000;

/** Whether the node answers, and on which chain; a wrong chain counts as unreachable for commits. */
async function probe(chain: ChainConfig): Promise<{ reachable: true } | { reachable: false; reason: string }> {
  try {
    const chainId = await createPublicClient({ transport: http(chain.rpcUrl, { retryCount: 0, timeout: PROBE_TIMEOUT_MS }) }).getChainId();
    if (chainId !== chain.chainId) return { reachable: false, reason: `the node at the chain's RPC endpoint is on chain ${chainId}, not ${chain.chainId}` };
    return { reachable: true };
  } catch (error) {
    return { reachable: false, reason: classifyChainError(error).message };
  }
}

export async function chainStatus(db: Db, chain: ChainConfig | null) {
  if (!chain) return { configured: false as const };
  const [summary, node] = await Promise.all([openRowsSummary(db, chain.chainId), probe(chain)]);
  return {
    configured: true as const,
    chainId: chain.chainId,
    source: chain.source,
    /** The committer's address; null: no key is set, so nothing is sent. */
    signer: chain.committerKey ? privateKeyToAccount(chain.committerKey).address : null,
    reachable: node.reachable,
    unreachableReason: node.reachable ? null : node.reason,
    pending: summary.pending,
    failed: summary.failed,
    lastProblem: summary.lastProblem,
  };
}

export async function datanetCommits(db: Db, ctx: OrgContext, chain: ChainConfig | null, input: { datanetSlug: string }) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  if (!chain) return [];
  return datanetVersionCommits(db, chain.chainId, datanet.id, VERSION_COMMIT_KEY_PREFIX);
}

export const retryVersionCommitInput = z.object({ datanetSlug: z.string().min(1).max(64), version: z.number().int().positive() });

/** A failed version commit (and its failed registration) goes back to the queue. */
export async function retryVersionCommit(db: Db, ctx: OrgContext, chain: ChainConfig | null, input: z.infer<typeof retryVersionCommitInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  const version = await findVersion(db, datanet.id, input.version);
  const commit = chain && version ? await findOutboxRow(db, chain.chainId, versionCommitKey(version.id)) : null;
  if (!commit) throw new TRPCError({ code: "NOT_FOUND", message: `Version ${input.version} of this Datanet has no commit to retry.` });
  if (commit.status !== "failed") throw new TRPCError({ code: "BAD_REQUEST", message: `Version ${input.version}'s commit is ${commit.status}, not failed; there is nothing to retry.` });
  await requeueFailedRows(db, [commit.id, ...commit.dependsOn]);
  return { status: "pending" as const };
}
