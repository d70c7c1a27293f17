// Datanets: the creation wizard's drafts, the org's list, the public directory,
// the record browser and curation.
import { z } from "zod";
import { datanetStats, listOrgDatanets, listPublicDatanets } from "@/server/db/queries/datanets";
import { browseRecords, leaderboard, listRecordsInput, reviewInput, reviewRecords } from "@/server/datanets/curation";
import {
  activate,
  createDraft,
  createDraftInput,
  datanetSlugInput,
  discardDraft,
  requireDatanet,
  saveDraft,
  saveDraftInput,
} from "@/server/datanets/datanets";
import { downloadInput, downloadUrl, publishVersion, publishVersionInput, versionsOf } from "@/server/datanets/versions";
import {
  cancelUpload,
  contributionView,
  datanetIdInput,
  getUpload,
  importInput,
  importUpload,
  myContributions,
  myContributionsInput,
  openUploads,
  reportUrl,
  uploadIdInput,
  validateInput,
  validateUpload,
} from "@/server/datanets/uploads";
import { orgProcedure, protectedProcedure, publicProcedure, router } from "../trpc";

export const datanetsRouter = router({
  list: orgProcedure("viewer").query(({ ctx }) => listOrgDatanets(ctx.db, ctx.org.id)),
  stats: orgProcedure("viewer").input(datanetSlugInput).query(async ({ ctx, input }) => datanetStats(ctx.db, (await requireDatanet(ctx.db, ctx, input.datanetSlug)).id)),
  get: orgProcedure("viewer").input(datanetSlugInput).query(({ ctx, input }) => requireDatanet(ctx.db, ctx, input.datanetSlug)),
  createDraft: orgProcedure("member").input(createDraftInput).mutation(({ ctx, input }) => createDraft(ctx.db, ctx, input)),
  saveDraft: orgProcedure("member").input(saveDraftInput).mutation(({ ctx, input }) => saveDraft(ctx.db, ctx, input)),
  activate: orgProcedure("member").input(datanetSlugInput).mutation(({ ctx, input }) => activate(ctx.db, ctx, input)),
  discardDraft: orgProcedure("member").input(datanetSlugInput).mutation(({ ctx, input }) => discardDraft(ctx.db, ctx, input)),
  records: orgProcedure("viewer").input(listRecordsInput).query(({ ctx, input }) => browseRecords(ctx.db, ctx, input)),
  review: orgProcedure("admin").input(reviewInput).mutation(({ ctx, input }) => reviewRecords(ctx.db, ctx, input)),
  leaderboard: orgProcedure("viewer").input(datanetSlugInput).query(({ ctx, input }) => leaderboard(ctx.db, ctx, input)),
  publishVersion: orgProcedure("admin").input(publishVersionInput).mutation(({ ctx, input }) => publishVersion(ctx.db, ctx.blobs, ctx.chain, ctx, input)),
  versions: orgProcedure("viewer").input(datanetSlugInput).query(({ ctx, input }) => versionsOf(ctx.db, ctx, input)),
  downloadUrl: orgProcedure("viewer").input(downloadInput).mutation(({ ctx, input }) => downloadUrl(ctx.db, ctx.blobs, ctx, input)),
  forContributor: protectedProcedure.input(datanetIdInput).query(({ ctx, input }) => contributionView(ctx.db, ctx.userId, input)),
  myContributions: protectedProcedure.input(myContributionsInput).query(({ ctx, input }) => myContributions(ctx.db, ctx.userId, input)),
  openUploads: protectedProcedure.input(datanetIdInput).query(({ ctx, input }) => openUploads(ctx.db, ctx.userId, input)),
  upload: protectedProcedure.input(uploadIdInput).query(({ ctx, input }) => getUpload(ctx.db, ctx.userId, input)),
  validateUpload: protectedProcedure.input(validateInput).mutation(({ ctx, input }) => validateUpload(ctx.db, ctx.blobs, ctx.userId, input)),
  importUpload: protectedProcedure.input(importInput).mutation(({ ctx, input }) => importUpload(ctx.db, ctx.blobs, ctx.userId, input)),
  cancelUpload: protectedProcedure.input(uploadIdInput).mutation(({ ctx, input }) => cancelUpload(ctx.db, ctx.blobs, ctx.userId, input)),
  uploadReportUrl: protectedProcedure.input(uploadIdInput).mutation(({ ctx, input }) => reportUrl(ctx.db, ctx.blobs, ctx.userId, input)),
  directory: publicProcedure
    .input(z.object({ search: z.string().trim().max(100).optional(), page: z.number().int().min(1).max(10_000).default(1) }))
    .query(({ ctx, input }) => listPublicDatanets(ctx.db, { search: input.search, limit: 24, offset: (input.page - 1) * 24 })),
});
