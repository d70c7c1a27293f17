// Where an upload's background validation or import stands: a bar with the share of the file
// read, rows read and time left; the step that writes the records; or, for a run whose server
// stopped, what happened and what to do.
import { ProgressBar } from "./progress-bar";
import { plural } from "@/components/datanets/detail/format";
import type { Upload } from "./types";

/** "less than a minute", "about 4 min", "about 1 h 20 min". */
function duration(seconds: number): string {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Time left at the run's average speed so far; both times are the database's, so clocks agree. */
export function timeLeft(upload: Pick<Upload, "runStartedAt" | "progressAt" | "processedBytes" | "sizeBytes">): string | null {
  const { runStartedAt, progressAt, processedBytes, sizeBytes } = upload;
  if (!runStartedAt || !progressAt || processedBytes <= 0) return null;
  const elapsed = (progressAt.getTime() - runStartedAt.getTime()) / 1000;
  if (elapsed < 2) return null;
  return `${duration((elapsed * Math.max(0, sizeBytes - processedBytes)) / processedBytes)} left`;
}

export function RunProgress({ upload }: { upload: Upload }) {
  const checking = upload.status === "validating";
  if (upload.interrupted) {
    return (
      <p role="alert" className="rounded-control border border-warning-200 bg-warning-50 px-3 py-2 text-sm text-warning-800">
        {checking ? "The check" : "The import"} of this file stopped: the server was restarted or lost it (no progress for over a minute).
        {checking ? " Nothing was kept from it." : " No records were added."} Retry it, or cancel the upload.
      </p>
    );
  }
  const fraction = upload.sizeBytes > 0 ? upload.processedBytes / upload.sizeBytes : 0;
  if (!checking && fraction >= 1) {
    return (
      <div>
        <ProgressBar fraction={1} label={`Importing ${upload.fileName}`} figure="Saving…" />
        <p className="mt-1 text-sm text-gray-700">
          Adding {plural(upload.validRows, "record")} to the Datanet in one step, so that either all of them are added or none.
        </p>
      </div>
    );
  }
  const left = timeLeft(upload);
  return (
    <div>
      <ProgressBar fraction={fraction} label={`${checking ? "Checking" : "Importing"} ${upload.fileName}`} />
      <p className="mt-1 text-sm text-gray-700 tabular-nums">
        {checking ? "Checking" : "Reading"} the file: {plural(upload.processedRows, "row")} so far{left ? `, ${left}` : ""}. You can leave this page; it goes on.
      </p>
    </div>
  );
}
