// A model's epochs: what each epoch's answers owe, and the epoch's commit as the indexer read it
// (block and transaction, total, funded and claimed), or why there is none yet. Above them, the
// model's registration on chain.
import { Badge, Card, CardBody, CardHeader, EmptyState, Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { afterEpochEnds, epochHeading, epochLabel, epochLengthWords } from "./epochs";
import { formatAmount } from "./format";
import { TxRef } from "./tx-ref";
import type { ModelAttribution } from "./types";

type Epoch = ModelAttribution["epochs"][number];

function CommitCell({ epoch, epochSeconds, explorerUrl }: { epoch: Epoch; epochSeconds: number; explorerUrl: string | null }) {
  if (epoch.commits.length === 0) {
    return <span className="text-gray-600">{epoch.open ? `Open: committed ${afterEpochEnds(epochSeconds)}` : "Not committed yet"}</span>;
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

function FundingCell({ epoch }: { epoch: Epoch }) {
  if (epoch.commits.length === 0) return <span className="text-gray-600">—</span>;
  return (
    <ul className="space-y-1">
      {epoch.commits.map((c) => (
        <li key={c.txHash}>
          {BigInt(c.funded) >= BigInt(c.total) ? "Funded" : `Funded ${formatAmount(c.funded, c.token)} of`} {formatAmount(c.total, c.token)}
          <span className="text-gray-600"> · {c.claims} {c.claims === 1 ? "claim" : "claims"} ({formatAmount(c.claimed, c.token)})</span>
        </li>
      ))}
    </ul>
  );
}

export function ModelEpochs({ data, explorerUrl }: { data: ModelAttribution; explorerUrl: string | null }) {
  const registered = data.registrations[0];
  return (
    <Card>
      <CardHeader
        title="Epochs on chain"
        description={`The answers of each epoch (${epochLengthWords(data.epochSeconds)}) are rolled up after it ends into one (contributor, amount) leaf per wallet; the Merkle root of those leaves is committed on chain, and contributors claim from it once it is funded.`}
      />
      <CardBody className="space-y-4">
        {!data.chainConfigured ? (
          <p className="text-sm text-gray-600">No chain is set up on this server: nothing is committed.</p>
        ) : (
          <p className="flex flex-wrap items-center gap-2 text-sm">
            <span className="text-gray-600">Model on chain</span>
            {registered ? (
              <>
                <Badge variant="success">Registered{registered.versionNumber !== null && ` v${registered.versionNumber}`}</Badge>
                <TxRef txHash={registered.txHash} blockNumber={registered.blockNumber} explorerUrl={explorerUrl} />
              </>
            ) : (
              <span className="text-gray-700">not registered yet: its registration is committed before its first epoch</span>
            )}
          </p>
        )}
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
                  <TD><CommitCell epoch={e} epochSeconds={data.epochSeconds} explorerUrl={explorerUrl} /></TD>
                  <TD className="min-w-48 whitespace-normal!"><FundingCell epoch={e} /></TD>
                </TR>
              ))}
            </TBody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}
