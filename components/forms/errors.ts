// Reads what the server said about a failed call: per-field messages from input
// validation, and one sentence for everything else.
import { TRPCClientError } from "@trpc/client";

export interface ServerErrors {
  message: string;
  fields: Record<string, string | undefined>;
}

export function serverErrors(error: unknown): ServerErrors {
  if (error instanceof TRPCClientError) {
    const data = error.data as { fieldErrors?: Record<string, string[] | undefined> | null } | undefined;
    const fields = Object.fromEntries(Object.entries(data?.fieldErrors ?? {}).map(([k, v]) => [k, v?.[0]]));
    return { message: error.message, fields };
  }
  return { message: error instanceof Error ? error.message : "Something went wrong. Try again.", fields: {} };
}
