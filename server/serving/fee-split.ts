// A deployment's fee split: which part of each call's fee goes to the platform, to the model's
// owner and to the contributors of the Datanet versions it was trained on, in basis points
// (10,000 = the whole fee). Plain module: the deployment page describes a split as it is edited.
import { z } from "zod";

export const BPS = 10_000;

const share = z
  .number({ error: "use a whole number of basis points from 0 to 10,000 (1 % = 100)." })
  .int("use a whole number of basis points from 0 to 10,000 (1 % = 100).")
  .min(0, "use a whole number of basis points from 0 to 10,000 (1 % = 100).")
  .max(BPS, "use a whole number of basis points from 0 to 10,000 (1 % = 100).");

export const feeSplitFields = { platformBps: share, ownerBps: share, contributorsBps: share };

export type FeeSplit = { platformBps: number; ownerBps: number; contributorsBps: number };

/** Percent as people read it: 7000 → "70 %", 3333 → "33.33 %". */
export const formatBps = (bps: number) => `${Number((bps / 100).toFixed(2))} %`;

/** The sum check, for schemas that carry the three fields among others. */
export function checkFeeSplitSum(split: FeeSplit, ctx: z.RefinementCtx) {
  const sum = split.platformBps + split.ownerBps + split.contributorsBps;
  if (sum !== BPS) {
    ctx.addIssue({ code: "custom", message: `The platform's, the model owner's and the contributors' shares must add up to 100 % (10,000 basis points); they add up to ${formatBps(sum)} (${sum.toLocaleString("en-US")}).` });
  }
}

export const feeSplitSchema = z.object(feeSplitFields).superRefine(checkFeeSplitSum);

/** "10/20/70": platform, owner and contributors in percent (two decimals at most), as the setting reads. */
export function parseFeeSplitPercent(text: string): FeeSplit {
  const parts = text.split("/").map((p) => p.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d{1,3}(\.\d{1,2})?$/.test(p))) {
    throw new Error(`"${text}" is not platform/owner/contributors in percent, e.g. 10/20/70`);
  }
  const [platformBps, ownerBps, contributorsBps] = parts.map((p) => Math.round(Number(p) * 100)) as [number, number, number];
  const parsed = feeSplitSchema.safeParse({ platformBps, ownerBps, contributorsBps });
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join(" "));
  return parsed.data;
}

export interface FeeParts {
  platform: bigint;
  owner: bigint;
  contributors: bigint;
}

/** Splits a fee in the smallest unit; what rounding leaves over goes to the platform, so the parts always sum to the fee. */
export function splitFee(fee: bigint, split: FeeSplit): FeeParts {
  const contributors = (fee * BigInt(split.contributorsBps)) / BigInt(BPS);
  const owner = (fee * BigInt(split.ownerBps)) / BigInt(BPS);
  return { platform: fee - contributors - owner, owner, contributors };
}

export interface TrainingDatanet {
  datanetName: string;
  number: number;
  contributorCount: number;
}

const contributors = (n: number) => `${n.toLocaleString("en-US")} contributor${n === 1 ? "" : "s"}`;

/** "Of each call's fee: 70 % to the 12 contributors of Datanet X v3, 20 % to the model owner, 10 % to the platform." */
export function describeFeeSplit(split: FeeSplit, training: readonly TrainingDatanet[]): string {
  const data = [...training].sort((a, b) => a.datanetName.localeCompare(b.datanetName) || a.number - b.number);
  const whose = data.length
    ? data.map((d) => `the ${contributors(d.contributorCount)} of Datanet ${d.datanetName} v${d.number}`).join(" and ")
    : "the contributors of its training data";
  return `Of each call's fee: ${formatBps(split.contributorsBps)} to ${whose}, ${formatBps(split.ownerBps)} to the model owner, ${formatBps(split.platformBps)} to the platform.`;
}
