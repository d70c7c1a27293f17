"use client";
// The Contribute tab: the shared uploader, refreshing the Datanet's counts after each import.
import { DatanetUploader } from "@/components/datanets/upload";
import { Card, CardBody, CardHeader } from "@/components/ui";
import type { Datanet } from "./types";
import { useRefreshDatanet } from "./use-curation";

export function ContributePanel({ orgSlug, datanet, autoAccepted }: { orgSlug: string; datanet: Datanet; autoAccepted: boolean }) {
  const refresh = useRefreshDatanet({ orgSlug, datanetSlug: datanet.slug });
  return (
    <Card>
      <CardHeader
        title="Contribute records"
        description={autoAccepted ? "Your records are accepted at once, as you can curate this Datanet." : "Your records wait for an owner or admin to review them."}
      />
      <CardBody>
        <DatanetUploader datanetId={datanet.id} orgSlug={orgSlug} recordFormat={datanet.recordFormat} onImported={() => void refresh()} />
      </CardBody>
    </Card>
  );
}
