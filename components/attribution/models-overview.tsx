"use client";
// The org's models and their attributed answers in the window: where to look first.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { buttonClasses, Card, CardBody, CardHeader, EmptyState, Table, TBody, TD, TH, THead, TR } from "@/components/ui";
import { formatAmount } from "./format";
import { WindowSelect, type Window } from "./window-select";

export function ModelsOverview({ orgSlug }: { orgSlug: string }) {
  const trpc = useTRPC();
  const [days, setDays] = useState<Window>(90);
  const models = useQuery({ ...trpc.attributionDashboards.orgModels.queryOptions({ orgSlug, days }), placeholderData: (previous) => previous });
  if (models.error) return <FormAlert message={serverErrors(models.error).message} />;
  const rows = models.data?.models ?? [];
  return (
    <Card>
      <CardHeader
        title="Models"
        description={`Answers of this organization's models attributed to contributors in the last ${days} days, and the fees they passed on.`}
        actions={<WindowSelect value={days} onChange={setDays} />}
      />
      <CardBody>
        {models.data && rows.length === 0 ? (
          <EmptyState
            title="No models yet"
            description="Once a model is fine-tuned on a Datanet and deployed, each answer it gives is matched against its training records, and the model's page here shows who its answers drew on."
            action={<Link href={`/${orgSlug}/models/new`} className={buttonClasses("secondary")}>Fine-tune a model</Link>}
          />
        ) : (
          <Table caption="Models by attributed answers">
            <THead>
              <TR>
                <TH>Model</TH>
                <TH>Base</TH>
                <TH className="text-right">Answers</TH>
                <TH className="text-right">Passed to contributors</TH>
                <TH>Last answer</TH>
              </TR>
            </THead>
            <TBody>
              {rows.map((m) => (
                <TR key={m.id}>
                  <TD className="font-medium">
                    <Link href={`/${orgSlug}/attribution/models/${m.slug}`} className="text-brand-800 underline-offset-2 hover:underline">{m.name}</Link>
                  </TD>
                  <TD className="text-gray-600">{m.baseModel}</TD>
                  <TD className="text-right tabular-nums">{m.inferences.toLocaleString("en")}</TD>
                  <TD className="text-right tabular-nums">{formatAmount(m.fee)}</TD>
                  <TD>{m.lastAt ? formatDateTime(m.lastAt) : <span className="text-gray-600">none in this period</span>}</TD>
                </TR>
              ))}
            </TBody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}
