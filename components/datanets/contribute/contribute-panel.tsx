"use client";
// Contributing to a Datanet from outside its org (public Datanets): pick which of your
// organizations you contribute from, upload, and follow your records' review status.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { DatanetUploader } from "@/components/datanets/upload";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Card, CardBody, CardHeader, EmptyState, Select, Table, TBody, TD, TH, THead, TR } from "@/components/ui";

interface Props {
  datanet: { id: string; name: string; summary: string; orgName: string; recordFormat: "chat" | "instruction" | "text"; license: string; autoAccept: boolean };
  orgs: { slug: string; name: string }[];
}

const statusVariant = { pending: "warning", accepted: "success", rejected: "danger" } as const;

function preview(content: unknown): string {
  const text = JSON.stringify(content);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

export function ContributePanel({ datanet, orgs }: Props) {
  const trpc = useTRPC();
  const [orgSlug, setOrgSlug] = useState(orgs[0]?.slug ?? "");
  const [page, setPage] = useState(1);
  const mine = useQuery(trpc.datanets.myContributions.queryOptions({ datanetId: datanet.id, page }));
  const pages = mine.data ? Math.max(1, Math.ceil(mine.data.total / mine.data.pageSize)) : 1;
  return (
    <>
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-gray-900">Contribute to {datanet.name}</h1>
        <p className="mt-1 text-sm text-gray-600">
          Run by {datanet.orgName} · {datanet.license} · {datanet.summary}
        </p>
        <p className="mt-2 text-sm text-gray-700">
          {datanet.autoAccept
            ? "Your records are accepted as soon as you import them."
            : "Your records wait for the Datanet's curators to accept them; you will see their decision and reason below."}{" "}
          Each record keeps you as its contributor, so attribution can credit you.
        </p>
      </div>
      <Card>
        <CardHeader title="Upload files" />
        <CardBody className="space-y-4">
          <div className="max-w-sm">
            <Select label="Contribute as a member of" value={orgSlug} onChange={(e) => setOrgSlug(e.target.value)}>
              {orgs.map((o) => (
                <option key={o.slug} value={o.slug}>{o.name}</option>
              ))}
            </Select>
          </div>
          <DatanetUploader key={orgSlug} datanetId={datanet.id} orgSlug={orgSlug} recordFormat={datanet.recordFormat} onImported={() => void mine.refetch()} />
        </CardBody>
      </Card>
      <Card>
        <CardHeader title="Your contributions" description={`${(mine.data?.total ?? 0).toLocaleString()} records you contributed to this Datanet.`} />
        {mine.data && mine.data.rows.length > 0 ? (
          <>
            <Table caption="Your contributions">
              <THead>
                <TR><TH>Record</TH><TH>Status</TH><TH>Reason</TH><TH>Source</TH></TR>
              </THead>
              <TBody>
                {mine.data.rows.map((r) => (
                  <TR key={r.id}>
                    <TD className="max-w-xs truncate font-mono text-xs">{preview(r.content)}</TD>
                    <TD><Badge variant={statusVariant[r.status]}>{r.status}</Badge></TD>
                    <TD className="whitespace-normal!">{r.reviewReason ?? "—"}</TD>
                    <TD className="font-mono text-xs">{r.sourceFile}:{r.sourceLine}</TD>
                  </TR>
                ))}
              </TBody>
            </Table>
            <CardBody className="flex items-center justify-between text-sm text-gray-600">
              <span>page {page} of {pages}</span>
              <span className="flex gap-2">
                <Button variant="secondary" size="sm" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</Button>
                <Button variant="secondary" size="sm" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</Button>
              </span>
            </CardBody>
          </>
        ) : (
          <CardBody>
            <EmptyState title="No contributions yet" description="Upload a file above; the records you import appear here with their review status." />
          </CardBody>
        )}
      </Card>
    </>
  );
}
