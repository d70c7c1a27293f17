// Sends one file as the raw body of POST /api/datanets/<id>/uploads. XMLHttpRequest rather
// than fetch() because only it reports upload progress.
import { uploadSchema, type Upload } from "./types";

export type SendResult = { ok: true; upload: Upload } | { ok: false; cancelled: boolean; message: string };

type SendOptions = {
  datanetId: string;
  orgSlug: string;
  /** 0 to 1 as the bytes leave the browser. */
  onProgress: (fraction: number) => void;
};

function errorMessage(body: unknown, status: number, fileName: string): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof message === "string" && message) return message;
  return `The server refused ${fileName} (HTTP ${status}). Try again.`;
}

export function sendFile(file: File, { datanetId, orgSlug, onProgress }: SendOptions): { done: Promise<SendResult>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const query = new URLSearchParams({ fileName: file.name, orgSlug });
  const done = new Promise<SendResult>((resolve) => {
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON (a proxy's error page, say): reported by status below.
      }
      if (xhr.status === 201) {
        const parsed = uploadSchema.safeParse((body as { upload?: unknown } | null)?.upload);
        if (parsed.success) return resolve({ ok: true, upload: parsed.data });
        return resolve({ ok: false, cancelled: false, message: `The server accepted ${file.name} but answered in an unexpected form. Reload the page to see it.` });
      }
      resolve({ ok: false, cancelled: false, message: errorMessage(body, xhr.status, file.name) });
    };
    xhr.onerror = () => resolve({ ok: false, cancelled: false, message: `The connection failed while sending ${file.name}. Check your network and try again.` });
    xhr.onabort = () => resolve({ ok: false, cancelled: true, message: `${file.name} was cancelled; nothing was kept.` });
  });
  xhr.open("POST", `/api/datanets/${encodeURIComponent(datanetId)}/uploads?${query}`);
  xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
  xhr.send(file);
  return { done, abort: () => xhr.abort() };
}
