// The period a dashboard covers: the last 30, 90 or 365 days, today's epoch included.
import { z } from "zod";
import { EPOCH_SECONDS, epochOf } from "../epochs";

export const windowInput = z.object({ days: z.union([z.literal(30), z.literal(90), z.literal(365)]).default(90) });
export type WindowInput = z.input<typeof windowInput>;

/** The first epoch of the window of `days` days that ends with the current epoch (the same count of epochs when epochs are days). */
export const sinceEpoch = (days: number, now = new Date()) => epochOf(new Date(now.getTime() - days * 86_400_000)) + 1;

/**
 * The window's epochs as the pages need them: its first and the current one, and the epoch length
 * (ATTRIBUTION_EPOCH_SECONDS), so the browser labels each epoch by when it starts.
 */
export const epochWindow = (days: number, now = new Date()) => ({ days, sinceEpoch: sinceEpoch(days, now), currentEpoch: epochOf(now), epochSeconds: EPOCH_SECONDS });

/** A decimal integer string summed over rows. */
export const sumOf = (amounts: readonly string[]) => amounts.reduce((total, a) => total + BigInt(a), 0n).toString();

/** Who a share names, for a table: their account name when they have one, else their wallet. */
export const contributorLabel = (row: { name: string | null; wallet: string | null; contributorId: string | null }) =>
  row.name ?? row.wallet ?? (row.contributorId ? "A former account" : "Unknown contributor");
