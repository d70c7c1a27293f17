"use client";
// One answer's attribution: the answer with its matched spans highlighted, each span's records
// (their Datanets, contributors and weights), every contributor's weight, share and amount, and
// the commit of the answer's epoch on chain, with what `npm run attribution:verify` needs.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime, shortHex } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Badge, buttonClasses, Card, CardBody, CardHeader, EmptyState, Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { AnswerSpans } from "./answer-spans";
import { useChainInfo } from "./chain-banner";
import { afterEpochEnds, epochLabel } from "./epochs";
import { formatAmount, formatShare } from "./format";
import { TxRef } from "./tx-ref";
import type { InferenceAttribution } from "./types";

const weight = (w: number) => Number(w.toPrecision(3)).toLocaleString("en");

function SpanList({ spans }: { spans: InferenceAttribution["spans"] }) {
  return (
    <ol className="space-y-4">
      {spans.map((span, i) => (
        <li key={`${span.start}-${span.end}`} id={`span-${i + 1}`} className="min-w-0 scroll-mt-20 rounded-control border border-gray-200 p-3">
          <p className="text-sm font-medium text-gray-900">
            Span {i + 1}: {span.words} words, characters {span.start.toLocaleString("en")}–{span.end.toLocaleString("en")}
          </p>
          <p className="mt-1 text-sm break-words text-gray-700">“{span.text}”</p>
          <p className="mt-1 text-xs text-gray-600">
            {span.bytes.toLocaleString("en")} normalized bytes found in {span.df} {span.df === 1 ? "record" : "records"}: weight {weight(span.weight)}, {weight(span.weight / span.df)} to each.
          </p>
          <ul className="mt-2 space-y-1 text-sm">
            {span.records.map((r) => (
              <li key={r.id} className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-0.5">
                <code className="font-mono text-xs text-gray-900" title={r.id}>record {shortHex(r.id, 8)}</code>
                <span className="text-gray-600">in</span>
                {r.datanet ? (
                  r.datanet.href ? <Link href={r.datanet.href} className="text-brand-800 underline-offset-2 hover:underline">{r.datanet.name}</Link> : <span>{r.datanet.name}</span>
                ) : (
                  <span className="text-gray-600">a record no longer stored</span>
                )}
                <span className="text-gray-600">· by {r.contributor}</span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}

function Contributors({ data }: { data: InferenceAttribution }) {
  return (
    <Table caption="Contributors of this answer">
      <THead>
        <TR>
          <TH>Contributor</TH>
          <TH>Wallet</TH>
          <TH className="text-right">Weight</TH>
          <TH className="text-right">Share</TH>
          <TH className="text-right">Amount</TH>
        </TR>
      </THead>
      <TBody>
        {data.contributors.map((c) => (
          <TR key={`${c.label}-${c.wallet}`}>
            <TD className="font-medium text-gray-900">{c.label}</TD>
            <TD className="font-mono text-xs" title={c.wallet ?? undefined}>{c.wallet ? shortHex(c.wallet) : <span className="font-sans text-gray-600">none: kept by account</span>}</TD>
            <TD className="text-right tabular-nums">{weight(c.weight)}</TD>
            <TD className="text-right tabular-nums">{formatShare(c.share)}</TD>
            <TD className="text-right tabular-nums">{formatAmount(c.amount)}</TD>
          </TR>
        ))}
      </TBody>
    </Table>
  );
}

function OnChain({ data, explorerUrl }: { data: InferenceAttribution; explorerUrl: string | null }) {
  const { inference, commits } = data;
  return (
    <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[max-content_1fr]">
      <dt className="text-gray-600">Epoch</dt>
      <dd>{epochLabel(inference.epoch, inference.epochSeconds)} (epoch {inference.epoch})</dd>
      <dt className="text-gray-600">Commit</dt>
      <dd className="min-w-0">
        {commits.length > 0 ? (
          <ul className="space-y-1">
            {commits.map((c) => (
              <li key={c.txHash} className="flex flex-wrap items-center gap-2">
                <Badge variant="success">Committed</Badge>
                <TxRef txHash={c.txHash} blockNumber={c.blockNumber} explorerUrl={explorerUrl} />
                <span className="text-gray-600">root <code className="font-mono text-xs" title={c.root}>{shortHex(c.root, 10)}</code></span>
              </li>
            ))}
          </ul>
        ) : inference.epochEnded ? (
          "Not committed yet: the epoch has ended and its commit is on its way."
        ) : (
          `The epoch is still open: its contributors' amounts are committed ${afterEpochEnds(inference.epochSeconds)}.`
        )}
      </dd>
      <dt className="text-gray-600">Index</dt>
      <dd className="min-w-0 font-mono text-xs break-all">{inference.indexHash}</dd>
      <dt className="text-gray-600">Answer SHA-256</dt>
      <dd className="min-w-0 font-mono text-xs break-all">{inference.outputSha256}</dd>
      <dt className="sr-only">Verify</dt>
      <dd className="text-xs text-gray-600 sm:col-start-2">
        Anyone with the model&apos;s training snapshots and the answer can recompute this attribution: <code className="font-mono">npm run attribution:verify -- --snapshot … --index-hash {shortHex(inference.indexHash, 8)} --output answer.txt</code>
      </dd>
    </dl>
  );
}

export function InferenceView({ orgSlug, inferenceId }: { orgSlug: string; inferenceId: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.attributionDashboards.inference.queryOptions({ orgSlug, inferenceId }));
  const chain = useChainInfo();
  if (query.error) {
    return <EmptyState titleAs="h2" title="No attribution for this answer" description={serverErrors(query.error).message} action={<Link href={`/${orgSlug}/attribution/models`} className={buttonClasses()}>All models</Link>} />;
  }
  const data = query.data;
  if (!data) return null;
  const { inference } = data;
  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title={<span className="break-all">Answer {inference.inferenceId}</span>}
          description={
            <>
              <Link href={`/${orgSlug}/attribution/models/${inference.model.slug}`} className="text-brand-800 underline-offset-2 hover:underline">{inference.model.name}</Link> v{inference.model.versionNumber}
              {inference.deploymentName && ` through ${inference.deploymentName}`} · attributed {formatDateTime(inference.createdAt)} · {formatAmount(inference.fee)} passed to contributors
            </>
          }
          actions={<Badge variant={inference.method === "spans" ? "brand" : "neutral"}>{inference.method === "spans" ? `${data.spans.length} matched ${data.spans.length === 1 ? "span" : "spans"}` : "No span matched"}</Badge>}
        />
        <CardBody>
          {inference.method === "spans" ? (
            <AnswerSpans spans={data.spans} outputSha256={inference.outputSha256} />
          ) : (
            <p className="text-sm text-gray-700">
              No run of {inference.minWords} or more words of this answer occurs in the model&apos;s training records, so its fee was shared by each contributor&apos;s part of the training data (their normalized bytes).
            </p>
          )}
        </CardBody>
      </Card>
      {data.spans.length > 0 && (
        <Card>
          <CardHeader title="Spans and records" description={`Runs of at least ${inference.minWords} words found in the training records. A span weighs its bytes divided by the number of records holding it, split equally among them.`} />
          <CardBody><SpanList spans={data.spans} /></CardBody>
        </Card>
      )}
      <Card>
        <CardHeader title="Contributors" description="Each contributor's weight is the sum of their records' weights; the fee is split by those weights exactly." />
        <CardBody><Contributors data={data} /></CardBody>
      </Card>
      <Card>
        <CardHeader title="On chain" />
        <CardBody><OnChain data={data} explorerUrl={chain.data?.explorerUrl ?? null} /></CardBody>
      </Card>
    </div>
  );
}
