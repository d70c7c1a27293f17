"use client";
// One upload as the server has it now: read from the list at first, then polled every second
// while a validation or import runs in the background, with a call when an import ends.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";
import { useTRPC } from "@/components/trpc/client";
import { isRunning, uploadSchema, type ImportResult, type Upload, type UploadRow } from "./types";

const POLL_MS = 1000;

type Options = {
  datanetId: string;
  onImported: (fileName: string, result: ImportResult) => void;
};

export function useUploadRun(listed: UploadRow, { datanetId, onImported }: Options) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const queryKey = trpc.datanets.upload.queryKey({ uploadId: listed.id });
  const query = useQuery({
    ...trpc.datanets.upload.queryOptions({ uploadId: listed.id }),
    initialData: listed,
    refetchInterval: (q) => (q.state.data && isRunning(q.state.data) && !q.state.data.interrupted ? POLL_MS : false),
    refetchIntervalInBackground: true,
  });
  const upload = useMemo((): Upload | null => {
    const parsed = uploadSchema.safeParse(query.data);
    return parsed.success ? parsed.data : null;
  }, [query.data]);
  /** The review status the import's records get, as the import call answered. */
  const recordStatus = useRef<ImportResult["status"]>(null);
  const previousStatus = useRef(upload?.status);

  const status = upload?.status;
  useEffect(() => {
    const before = previousStatus.current;
    previousStatus.current = status;
    if (before === "importing" && status === "imported" && upload) {
      onImported(upload.fileName, { imported: upload.validRows, status: recordStatus.current });
      // Every Datanet query: counts, records and the list of open uploads change.
      void queryClient.invalidateQueries({ queryKey: trpc.datanets.pathKey() });
    }
  }, [status, upload, onImported, queryClient, trpc]);

  const gone = query.isError;
  useEffect(() => {
    // Cancelled from another tab or device: the list drops it.
    if (gone) void queryClient.invalidateQueries({ queryKey: trpc.datanets.openUploads.queryKey({ datanetId }) });
  }, [gone, queryClient, trpc, datanetId]);

  return {
    upload,
    /** Shows a run the server just started (validate or import answered with the upload). */
    started(row: UploadRow, importedAs?: ImportResult["status"]) {
      if (importedAs !== undefined) recordStatus.current = importedAs;
      queryClient.setQueryData(queryKey, row);
    },
  };
}
