"use client";
// One received upload: confirm how to read it (JSONL shape or CSV columns), validate it, read
// the report, then import the valid rows explicitly or cancel and fix the file. Validation and
// import run on the server in the background; their progress shows here as they go.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Button, Select, cn } from "@/components/ui";
import { IssuesTable } from "./issues-table";
import { formatFields, guessMapping, missingFields, parseOptions, sameOptions, type Mapping } from "./parse-options";
import { RunProgress } from "./run-progress";
import { plural } from "@/components/datanets/detail/format";
import { formatBytes, isJsonlShape, isRunning, shapeLabels, type ImportResult, type JsonlShape, type RecordFormat, type Upload, type UploadRow } from "./types";
import { useUploadRun } from "./use-upload-run";

type Props = {
  /** The upload as the list of open uploads has it. */
  upload: UploadRow;
  datanetId: string;
  recordFormat: RecordFormat;
  onImported: (fileName: string, result: ImportResult) => void;
};

const kindLabels: Record<string, string> = { jsonl: "JSONL", csv: "CSV", txt: "Text", md: "Markdown", pdf: "PDF" };

const textKinds: Record<string, string> = {
  txt: "Paragraphs become text records; small ones are packed together and long ones split.",
  md: "Sections and paragraphs become text records; small ones are packed together and long ones split.",
  pdf: "The text of each page becomes text records; scanned pages without a text layer have none.",
};

export function UploadReview({ upload: listed, datanetId, recordFormat, onImported }: Props) {
  const run = useUploadRun(listed, { datanetId, onImported });
  if (!run.upload) return null;
  return <UploadCard upload={run.upload} datanetId={datanetId} recordFormat={recordFormat} started={run.started} />;
}

type CardProps = Pick<Props, "datanetId" | "recordFormat"> & { upload: Upload; started: ReturnType<typeof useUploadRun>["started"] };

function UploadCard({ upload, datanetId, recordFormat, started }: CardProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [shape, setShape] = useState<JsonlShape | "">(upload.parseOptions?.jsonlShape ?? upload.detected.jsonl?.shape ?? "");
  const [mapping, setMapping] = useState<Mapping>(
    () => upload.parseOptions?.csv?.mapping ?? guessMapping(upload.detected.csvHeaders ?? [], recordFormat),
  );
  const [error, setError] = useState<string | null>(null);
  const validate = useMutation(trpc.datanets.validateUpload.mutationOptions());
  const importRows = useMutation(trpc.datanets.importUpload.mutationOptions());
  const cancel = useMutation(trpc.datanets.cancelUpload.mutationOptions());
  const report = useMutation(trpc.datanets.uploadReportUrl.mutationOptions());

  const options = parseOptions(upload.kind, recordFormat, shape, mapping);
  const running = isRunning(upload);
  const checked = (upload.status === "validated" || upload.status === "importing") && sameOptions(options, upload.parseOptions);
  const missing = upload.kind === "csv" ? missingFields(recordFormat, mapping) : upload.kind === "jsonl" && !shape ? ["the shape of the lines"] : [];
  const busy = validate.isPending || importRows.isPending || cancel.isPending;

  async function run(action: () => Promise<void>) {
    setError(null);
    try {
      await action();
    } catch (cause) {
      setError(serverErrors(cause).message);
    }
  }
  const refreshOpen = () => queryClient.invalidateQueries({ queryKey: trpc.datanets.openUploads.queryKey({ datanetId }) });

  // Both answer at once with the upload as the run started it; the run's end shows by polling.
  const onValidate = () => run(async () => started(await validate.mutateAsync({ uploadId: upload.id, options })));
  const onImport = () =>
    run(async () => {
      const result = await importRows.mutateAsync({ uploadId: upload.id, skipInvalid: upload.errorRows > 0 });
      started(result.upload, result.status);
    });
  const onCancel = () =>
    run(async () => {
      await cancel.mutateAsync({ uploadId: upload.id });
      await refreshOpen();
    });
  const onReport = () =>
    run(async () => {
      const { url } = await report.mutateAsync({ uploadId: upload.id });
      // The link answers with Content-Disposition: attachment, so this downloads and stays on the page.
      window.location.assign(url);
    });

  const headers = upload.detected.csvHeaders ?? [];
  const detectedShape = upload.detected.jsonl?.shape;
  return (
    <li className="rounded-card border border-gray-200 bg-white" aria-label={upload.fileName}>
      <div className="flex flex-wrap items-center gap-2 border-b border-gray-200 px-4 py-3">
        <span className="min-w-0 truncate font-medium text-gray-900">{upload.fileName}</span>
        <Badge>{kindLabels[upload.kind] ?? upload.kind}</Badge>
        <span className="text-sm text-gray-600">{formatBytes(upload.sizeBytes)}</span>
        <StatusBadge upload={upload} checked={checked} />
      </div>
      <div className="space-y-4 px-4 py-4">
        {upload.kind === "jsonl" && (
          <div className="space-y-3">
            <p className="text-sm text-gray-700">
              {detectedShape ? (
                <>Detected shape: <strong>{shapeLabels[detectedShape]}</strong>. Change it if that is wrong.</>
              ) : (
                <>We could not tell the shape of the lines: {upload.detected.jsonl?.reason ?? "no lines were read"}. Choose it below.</>
              )}
            </p>
            <div className="max-w-md">
              <Select
                label="Shape of each line"
                value={shape}
                onChange={(e) => setShape(isJsonlShape(e.target.value) ? e.target.value : "")}
                hint={shape && (shape === "text") !== (recordFormat === "text") ? `This Datanet takes ${recordFormat} records; this shape will not convert to them.` : undefined}
              >
                {!shape && <option value="">Choose a shape</option>}
                {Object.entries(shapeLabels).map(([value, label]) => (
                  <option key={value} value={value}>{label}</option>
                ))}
              </Select>
            </div>
          </div>
        )}
        {upload.kind === "csv" && (
          <fieldset className="space-y-3">
            <legend className="text-sm font-medium text-gray-900">Map the columns</legend>
            <p className="text-sm text-gray-700">
              {headers.length > 0
                ? `Columns in the file: ${headers.join(", ")}. Choose which one holds each field of a ${recordFormat} record.`
                : "The file has no header row. Add one naming each column, then upload it again."}
            </p>
            <div className="grid gap-3 sm:grid-cols-3">
              {formatFields[recordFormat].map((field) => (
                <Select
                  key={field.name}
                  label={field.required ? field.label : `${field.label} (optional)`}
                  value={mapping[field.name] ?? ""}
                  onChange={(e) => setMapping({ ...mapping, [field.name]: e.target.value })}
                >
                  <option value="">{field.required ? "Choose a column" : "Not in this file"}</option>
                  {headers.map((header) => (
                    <option key={header} value={header}>{header}</option>
                  ))}
                </Select>
              ))}
            </div>
          </fieldset>
        )}
        {textKinds[upload.kind] && <p className="text-sm text-gray-700">{textKinds[upload.kind]}</p>}

        {checked && <ValidationCounts upload={upload} />}
        {checked && <IssuesTable upload={upload} />}
        {upload.status === "validated" && !checked && (
          <p className="text-sm text-warning-800">You changed how the file is read since it was checked. Validate it again before importing.</p>
        )}
        {running && <RunProgress upload={upload} />}
        {!running && <FormAlert message={upload.error} />}
        <FormAlert message={error} />
      </div>
      <div className="flex flex-wrap items-center gap-2 rounded-b-card border-t border-gray-200 bg-gray-50 px-4 py-3">
        {running ? (
          <>
            {upload.interrupted && (
              <Button onClick={upload.status === "validating" ? onValidate : onImport} loading={validate.isPending || importRows.isPending} disabled={busy}>
                {upload.status === "validating" ? "Retry the check" : "Retry the import"}
              </Button>
            )}
            <Button variant="secondary" onClick={onCancel} loading={cancel.isPending} disabled={busy}>Cancel upload</Button>
          </>
        ) : checked ? (
          <>
            <Button onClick={onImport} loading={importRows.isPending} disabled={busy || upload.validRows === 0}>
              {upload.errorRows > 0
                ? `Import ${plural(upload.validRows, "valid row")}, skip ${upload.errorRows.toLocaleString()}`
                : `Import ${plural(upload.validRows, "row")}`}
            </Button>
            <Button variant="secondary" onClick={onCancel} loading={cancel.isPending} disabled={busy}>
              {upload.errorRows > 0 ? "Cancel and fix the file" : "Cancel upload"}
            </Button>
            {upload.issues.length > 0 && (
              <Button variant="ghost" onClick={onReport} loading={report.isPending}>Download full report</Button>
            )}
          </>
        ) : (
          <>
            <Button onClick={onValidate} loading={validate.isPending} disabled={busy || missing.length > 0}>Validate</Button>
            <Button variant="secondary" onClick={onCancel} loading={cancel.isPending} disabled={busy}>Cancel upload</Button>
            {missing.length > 0 && <span className="text-sm text-gray-600">Choose {missing.join(", ")} first.</span>}
          </>
        )}
      </div>
    </li>
  );
}

function StatusBadge({ upload, checked }: { upload: Upload; checked: boolean }) {
  const [variant, label] = upload.interrupted
    ? (["danger", "Stopped"] as const)
    : upload.status === "validating"
      ? (["brand", "Checking…"] as const)
      : upload.status === "importing"
        ? (["brand", "Importing…"] as const)
        : checked
          ? (["success", "Checked"] as const)
          : (["warning", "Not checked yet"] as const);
  return (
    <Badge variant={variant} className="ml-auto">
      {label}
    </Badge>
  );
}

function ValidationCounts({ upload }: { upload: Upload }) {
  const counts = [
    { label: "Valid rows", value: upload.validRows, tone: "text-success-800" },
    { label: "Rows with errors", value: upload.errorRows, tone: upload.errorRows > 0 ? "text-danger-700" : "text-gray-900" },
    { label: "Duplicates (skipped)", value: upload.duplicateRows, tone: "text-gray-900" },
  ];
  return (
    <dl className="grid grid-cols-3 gap-2 sm:gap-3">
      {counts.map((c) => (
        <div key={c.label} className="rounded-control border border-gray-200 px-3 py-2">
          <dt className="text-xs text-gray-600">{c.label}</dt>
          <dd className={cn("text-lg font-semibold tabular-nums", c.tone)}>{c.value.toLocaleString()}</dd>
        </div>
      ))}
    </dl>
  );
}
