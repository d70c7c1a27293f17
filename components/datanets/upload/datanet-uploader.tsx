"use client";
// Contribute files to a Datanet: drop or pick files, watch each one upload with a real
// progress bar (cancellable), then confirm, validate and import each upload. Uploads left
// unfinished earlier are listed too, so they can be picked up again.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type DragEvent } from "react";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Spinner, cn, useToast } from "@/components/ui";
import { ProgressBar } from "./progress-bar";
import { sendFile } from "./send-file";
import { plural } from "@/components/datanets/detail/format";
import { formatBytes, type ImportResult, type RecordFormat } from "./types";
import { UploadReview } from "./upload-review";

export const ACCEPTED_EXTENSIONS = ".jsonl,.csv,.txt,.md,.pdf";

const formatHints: Record<RecordFormat, string> = {
  chat: "This Datanet takes chat records: JSONL in OpenAI chat or ShareGPT shape, or a CSV with user and assistant columns.",
  instruction: "This Datanet takes instruction records: JSONL in Alpaca or two-turn chat shape, or a CSV with instruction and output columns.",
  text: "This Datanet takes text records: .txt, .md or .pdf files, JSONL with a text field, or a CSV with a text column.",
};

type Sending = { key: number; fileName: string; sizeBytes: number; progress: number; failure: string | null };
type Imported = { key: number; fileName: string } & ImportResult;

type Props = {
  datanetId: string;
  /** The org the contributor uploads from; their records carry it. */
  orgSlug: string;
  recordFormat: RecordFormat;
  /** Runs once before the first file of a drop is sent, e.g. to make a draft Datanet live. Throwing stops the upload. */
  beforeUpload?: () => Promise<void>;
  onImported?: (result: ImportResult) => void;
};

export function DatanetUploader({ datanetId, orgSlug, recordFormat, beforeUpload, onImported }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const open = useQuery(trpc.datanets.openUploads.queryOptions({ datanetId }));
  const [sending, setSending] = useState<Sending[]>([]);
  const [imported, setImported] = useState<Imported[]>([]);
  const [preparing, setPreparing] = useState(false);
  const [prepareError, setPrepareError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const aborts = useRef(new Map<number, () => void>());
  const nextKey = useRef(0);

  const uploads = open.data ?? [];

  const patch = (key: number, change: Partial<Sending>) => setSending((rows) => rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const drop = (key: number) => setSending((rows) => rows.filter((r) => r.key !== key));

  async function send(file: File) {
    const key = nextKey.current++;
    setSending((rows) => [...rows, { key, fileName: file.name, sizeBytes: file.size, progress: 0, failure: null }]);
    const { done, abort } = sendFile(file, { datanetId, orgSlug, onProgress: (progress) => patch(key, { progress }) });
    aborts.current.set(key, abort);
    const result = await done;
    aborts.current.delete(key);
    if (result.ok) {
      // Wait for the list to hold the new upload, so its row does not blink out and back.
      await queryClient.invalidateQueries({ queryKey: trpc.datanets.openUploads.queryKey({ datanetId }) });
      drop(key);
    } else if (result.cancelled) {
      drop(key);
    } else {
      patch(key, { failure: result.message });
    }
  }

  async function start(files: File[]) {
    if (files.length === 0) return;
    setPrepareError(null);
    if (beforeUpload) {
      setPreparing(true);
      try {
        await beforeUpload();
      } catch (cause) {
        setPrepareError(serverErrors(cause).message);
        return;
      } finally {
        setPreparing(false);
      }
    }
    await Promise.all(files.map(send));
  }

  function onImportedFile(fileName: string, result: ImportResult) {
    setImported((rows) => [...rows, { key: nextKey.current++, fileName, ...result }]);
    const title = `${plural(result.imported, "record")} added${result.status === "accepted" ? " and accepted" : result.status === "pending" ? ", awaiting review" : ""}`;
    toast({ title, description: fileName, variant: "success" });
    onImported?.(result);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    void start([...event.dataTransfer.files]);
  }

  return (
    <div className="space-y-4">
      <div
        onDragEnter={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragOver={(e) => e.preventDefault()}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={onDrop}
        className={cn(
          "flex flex-col items-center gap-3 rounded-card border-2 border-dashed px-4 py-8 text-center transition-colors",
          dragging ? "border-brand-600 bg-brand-50" : "border-gray-300 bg-white",
        )}
      >
        <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" className="size-10 text-gray-400">
          <path d="M12 16V4m0 0-4 4m4-4 4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2" />
        </svg>
        <p className="text-sm font-medium text-gray-900">Drag files here, or</p>
        <Button variant="secondary" onClick={() => inputRef.current?.click()} loading={preparing}>
          Choose files
        </Button>
        <input
          ref={inputRef}
          type="file"
          multiple
          accept={ACCEPTED_EXTENSIONS}
          aria-label="Files to upload"
          className="hidden"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = "";
            void start(files);
          }}
        />
        <p className="max-w-md text-sm text-gray-600">{formatHints[recordFormat]} Nothing is added until you check the file and import it.</p>
      </div>
      <FormAlert message={prepareError} />

      {sending.length > 0 && (
        <ul className="space-y-2" aria-label="Files being sent">
          {sending.map((row) => (
            <li key={row.key} className="rounded-card border border-gray-200 bg-white px-4 py-3">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                <span className="min-w-0 truncate text-sm font-medium text-gray-900">{row.fileName}</span>
                <span className="text-sm text-gray-600">{formatBytes(row.sizeBytes)}</span>
                <span className="ml-auto">
                  {row.failure ? (
                    <Button variant="ghost" size="sm" onClick={() => drop(row.key)}>Dismiss</Button>
                  ) : (
                    <Button variant="ghost" size="sm" onClick={() => aborts.current.get(row.key)?.()}>Cancel</Button>
                  )}
                </span>
              </div>
              {row.failure ? (
                <p role="alert" className="mt-2 text-sm text-danger-700">{row.failure}</p>
              ) : (
                <ProgressBar fraction={row.progress} label={`Sending ${row.fileName}`} figure={row.progress < 1 ? undefined : "Storing…"} />
              )}
            </li>
          ))}
        </ul>
      )}

      {imported.length > 0 && (
        <ul className="space-y-2" aria-label="Imported files">
          {imported.map((row) => (
            <li key={row.key} className="rounded-card border border-success-200 bg-success-50 px-4 py-3 text-sm text-success-800">
              <strong className="font-medium">{row.fileName}</strong>:{" "}
              {plural(row.imported, "record")} added
              {row.status === "accepted" ? " and accepted." : row.status === "pending" ? ", awaiting review by the Datanet's curators." : "."}
            </li>
          ))}
        </ul>
      )}

      {open.isPending && (
        <p className="flex items-center gap-2 text-sm text-gray-600"><Spinner /> Loading your unfinished uploads…</p>
      )}
      {open.isError && <FormAlert message={serverErrors(open.error).message} />}
      {uploads.length > 0 && (
        <section className="space-y-2">
          <h3 className="text-sm font-semibold text-gray-900">Check and import</h3>
          <ul className="space-y-3">
            {uploads.map((upload) => (
              <UploadReview key={upload.id} upload={upload} datanetId={datanetId} recordFormat={recordFormat} onImported={onImportedFile} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
