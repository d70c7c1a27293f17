// Step 4: the first files. Uploads need a live Datanet, so the draft is made live as the
// first file is sent; skipping leaves it a draft until Review.
import { DatanetUploader } from "@/components/datanets/upload";
import type { Datanet } from "./fields";

type Props = {
  orgSlug: string;
  datanet: Datanet;
  activate: () => Promise<void>;
};

export function StepUpload({ orgSlug, datanet, activate }: Props) {
  const draft = datanet.status === "draft";
  return (
    <div className="space-y-4">
      <p className="rounded-control border border-brand-200 bg-brand-50 px-3 py-2 text-sm text-brand-900">
        {draft
          ? "Your Datanet is created as you upload its first file: only a live Datanet takes records. To check everything first, skip to Review and add files from the Datanet's page later."
          : "Your Datanet is live. Add more files, or go on to Review."}
      </p>
      <DatanetUploader
        datanetId={datanet.id}
        orgSlug={orgSlug}
        recordFormat={datanet.recordFormat}
        beforeUpload={draft ? activate : undefined}
      />
    </div>
  );
}
