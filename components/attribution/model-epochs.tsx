"use client";
// A model's epochs: what each epoch's answers owe, and the epoch's commit as the indexer read it
// (block and transaction, total, funded and claimed), or before that its call in the chain outbox
// (queued, sent, or failed with the reason and a Retry for owners and admins). Above them, the
// model's registration on chain, the same way.
import { Badge, Card, CardBody, CardHeader, EmptyState, Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { afterEpochEnds, epochHeading, epochLabel, epochLengthWords } from "./epochs";
import { formatAmount } from "./format";
import { ChainCall, useModelChainCalls, type ModelChainCalls } from "./model-chain-calls";
import { TxRef } from "./tx-ref";
import type { ModelAttribution } from "./types";

type Epoch = ModelAttribution["epochs"][number];

interface ChainProps {
  calls: ModelChainCalls;
  canRetry: boolean;
  epochSeconds: number;
  explorerUrl: string | null;
}

/** The epoch's commits as indexed; before that, its calls in the outbox (queued, sent, or failed with Retry). */
function CommitCell({ epoch, calls, canRetry, epochSeconds, explorerUrl }: { epoch: Epoch } & ChainProps) {
  if (epoch.commits.length === 0) {
    const queued = calls.epochs.filter((c) => c.epoch === epoch.epoch);
    if (queued.length === 0) return <span className="text-gray-600">{epoch.open ? `Open: committed ${afterEpochEnds(epochSeconds)}` : "Not committed yet"}</span>;
    return (
      <ul className="space-y-1">
        {queued.map((c) => (
          <li key={c.version} className="flex flex-wrap items-start gap-2">
            <span className="font-medium text-gray-900">v{c.version}</span>
            <ChainCall commit={c.commit} subject={`the commit of ${epochLabel(epoch.epoch, epochSeconds)}, v${c.version}`} calls={calls} callRef={{ version: c.version, epoch: epoch.epoch }} canRetry={canRetry} />
          </li>
        ))}
      </ul>
    );
  }
  return (
    <ul className="space-y-1">
      {epoch.commits.map((c) => (
        <li key={c.txHash} className="flex flex-wrap items-center gap-2">
          <Badge variant="success">Committed{c.versionNumber !== null && ` v${c.versionNumber}`}</Badge>
          <TxRef txHash={c.txHash} blockNumber={c.blockNumber} explorerUrl={explorerUrl} />
        </li>
      ))}
    </ul>
  );
}

/** What the indexed commits were funded and claimed; a funding that failed, with its Retry. */
function FundingCell({ epoch, calls, canRetry, epochSeconds }: { epoch: Epoch } & ChainProps) {
  if (epoch.commits.length === 0) return <span className="text-gray-600">—</span>;
  const failed = calls.epochs.filter((c) => c.epoch === epoch.epoch && c.funding?.status === "failed");
  return (
    <ul className="space-y-1">
      {epoch.commits.map((c) => (
        <li key={c.txHash}>
          {BigInt(c.funded) >= BigInt(c.total) ? "Funded" : `Funded ${formatAmount(c.funded, c.token)} of`} {formatAmount(c.total, c.token)}
          <span className="text-gray-600"> · {c.claims} {c.claims === 1 ? "claim" : "claims"} ({formatAmount(c.claimed, c.token)})</span>
        </li>
      ))}
      {failed.map((c) => (
        <li key={`funding-${c.version}`}>
          <ChainCall commit={c.funding!} failedLabel="Not funded" subject={`the funding of ${epochLabel(epoch.epoch, epochSeconds)}, v${c.version}`} calls={calls} callRef={{ version: c.version, epoch: epoch.epoch }} canRetry={canRetry} />
        </li>
      ))}
    </ul>
  );
}

/** The model's registration as indexed, and each version's registration still in the outbox (queued, sent, or failed with Retry). */
function Registration({ data, calls, canRetry, explorerUrl }: { data: ModelAttribution } & ChainProps) {
  const registered = data.registrations[0];
  const indexed = new Set(data.registrations.map((r) => r.versionNumber));
  const waiting = calls.registrations.filter((r) => !indexed.has(r.version));
  return (
    <div className="space-y-2 text-sm">
      <p className="flex flex-wrap items-center gap-2">
        <span className="text-gray-600">Model on chain</span>
        {registered ? (
          <>
            <Badge variant="success">Registered{registered.versionNumber !== null && ` v${registered.versionNumber}`}</Badge>
            <TxRef txHash={registered.txHash} blockNumber={registered.blockNumber} explorerUrl={explorerUrl} />
          </>
        ) : (
          <span className="text-gray-700">not registered yet{waiting.length === 0 && ": its registration is committed before its first epoch"}</span>
        )}
      </p>
      {waiting.length > 0 && (
        <ul aria-label="Registrations on their way" className="space-y-2">
          {waiting.map((r) => (
            <li key={r.version} className="space-y-1 rounded-control border border-gray-200 px-3 py-2">
              <p className="font-medium text-gray-900">Registration of v{r.version}</p>
              <ChainCall commit={r} subject={`the registration of ${data.model.name} v${r.version}`} calls={calls} callRef={{ version: r.version, epoch: null }} canRetry={canRetry} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function ModelEpochs({ orgSlug, data, explorerUrl, canRetry }: { orgSlug: string; data: ModelAttribution; explorerUrl: string | null; canRetry: boolean }) {
  const calls = useModelChainCalls({ orgSlug, modelSlug: data.model.slug, enabled: data.chainConfigured });
  const chain: ChainProps = { calls, canRetry, epochSeconds: data.epochSeconds, explorerUrl };
  return (
    <Card>
      <CardHeader
        title="Epochs on chain"
        description={`The answers of each epoch (${epochLengthWords(data.epochSeconds)}) are rolled up after it ends into one (contributor, amount) leaf per wallet; the Merkle root of those leaves is committed on chain, and contributors claim from it once it is funded.${canRetry ? " A call the chain refused says why; once that is fixed, Retry sends it again." : ""}`}
      />
      <CardBody className="space-y-4">
        {!data.chainConfigured ? <p className="text-sm text-gray-600">No chain is set up on this server: nothing is committed.</p> : <Registration data={data} {...chain} />}
        {data.epochs.length === 0 ? (
          <EmptyState title="No epochs yet" description="An epoch appears here once this model's answers in it are attributed; after it has ended its commit follows, with its block and transaction." />
        ) : (
          <Table caption={`Epochs of ${data.model.name}`}>
            <THead>
              <TR>
                <TH>{epochHeading(data.epochSeconds)}</TH>
                <TH className="text-right">Answers</TH>
                <TH className="text-right">Owed</TH>
                <TH>Commit</TH>
                <TH>Funding and claims</TH>
              </TR>
            </THead>
            <TBody>
              {data.epochs.map((e) => (
                <TR key={e.epoch}>
                  <TD>{epochLabel(e.epoch, data.epochSeconds)}</TD>
                  <TD className="text-right tabular-nums">{e.inferences.toLocaleString("en")}</TD>
                  <TD className="text-right tabular-nums">{formatAmount(e.fee)}</TD>
                  <TD className="min-w-56 whitespace-normal!"><CommitCell epoch={e} {...chain} /></TD>
                  <TD className="min-w-48 whitespace-normal!"><FundingCell epoch={e} {...chain} /></TD>
                </TR>
              ))}
            </TBody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}
