"use client";
// A run's event log, fetched in full once and then polled with afterId every 2 s while the
// run is active; one more pull when its status changes picks up the final events.
import { useEffect, useRef, useState } from "react";
import { serverErrors } from "@/components/forms/errors";
import { useTRPCClient } from "@/components/trpc/client";
import { isActive } from "./format";
import type { RunEvent, RunStatus } from "./types";

/** The server's page size: a full page means there is more to read at once. */
const PAGE = 2000;
const POLL_MS = 2000;

export function useRunEvents(orgSlug: string, runId: string, status: RunStatus | undefined) {
  const client = useTRPCClient();
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  // The last id appended; shared by overlapping pulls so no event is appended twice.
  const lastId = useRef(0);
  const live = isActive(status);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function pull() {
      try {
        for (;;) {
          const batch = await client.finetune.events.query({ orgSlug, runId, afterId: lastId.current });
          if (stopped) return;
          const fresh = batch.filter((e) => e.id > lastId.current);
          if (fresh.length) {
            lastId.current = fresh[fresh.length - 1]!.id;
            setEvents((current) => [...current, ...fresh]);
          }
          if (batch.length < PAGE) break;
        }
        setError(null);
      } catch (cause) {
        if (!stopped) setError(serverErrors(cause).message);
      }
      if (!stopped && live) timer = setTimeout(pull, POLL_MS);
    }
    void pull();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, orgSlug, runId, live, status]);

  return { events, error };
}
