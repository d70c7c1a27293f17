// Curation: browse a Datanet's records and accept or reject contributions, one by
// one or in bulk, with a reason the contributor sees.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import { contributorLeaderboard, listRecords, setRecordStatus } from "@/server/db/queries/records";
import type { OrgContext } from "@/server/orgs/orgs";
import { requireDatanet } from "./datanets";
import { trainingView, type RecordContent } from "./records";

export const listRecordsInput = z.object({
  datanetSlug: z.string().min(1).max(64),
  status: z.enum(["pending", "accepted", "rejected"]).optional(),
  contributorId: z.uuid().optional(),
  search: z.string().trim().max(200).optional(),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(25),
});

export async function browseRecords(db: Db, ctx: OrgContext, input: z.infer<typeof listRecordsInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  const { rows, total } = await listRecords(
    db,
    { datanetId: datanet.id, status: input.status, contributorId: input.contributorId, search: input.search || undefined },
    { limit: input.pageSize, offset: (input.page - 1) * input.pageSize },
  );
  // What the model will learn from each record: prompt vs. answer, and warnings.
  const withViews = rows.map((row) => ({ ...row, training: trainingView(row.content as RecordContent) }));
  return { rows: withViews, total, page: input.page, pageSize: input.pageSize };
}

export const reviewInput = z
  .object({
    datanetSlug: z.string().min(1).max(64),
    recordIds: z.array(z.uuid()).min(1, "Select at least one record.").max(1000, "Review at most 1,000 records at once."),
    decision: z.enum(["accepted", "rejected"]),
    reason: z.string().trim().max(500, "Keep the reason under 500 characters.").optional(),
  })
  .refine((v) => v.decision === "accepted" || (v.reason?.length ?? 0) > 0, {
    path: ["reason"],
    message: "Say why the records are rejected; the contributor sees it.",
  });

export async function reviewRecords(db: Db, ctx: OrgContext, input: z.infer<typeof reviewInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  const changed = await setRecordStatus(db, datanet.id, input.recordIds, {
    status: input.decision,
    reason: input.reason ?? null,
    reviewerId: ctx.userId,
  });
  if (changed === 0) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `None of the selected records could be ${input.decision}: they are not in this Datanet or already ${input.decision}.` });
  }
  return { changed };
}

export async function leaderboard(db: Db, ctx: OrgContext, input: { datanetSlug: string }) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  return contributorLeaderboard(db, datanet.id);
}
