// Datanet lifecycle: a draft saved step by step by the creation wizard, activated on
// review, then edited by the org's admins. Slugs are unique within the org.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { Db } from "@/server/db/connect";
import {
  deleteDatanet,
  findDatanet,
  insertDatanet,
  isDatanetSlugTaken,
  updateDatanet,
} from "@/server/db/queries/datanets";
import { slugify } from "@/server/db/queries/orgs";
import { recordFormats } from "@/server/db/schema";
import type { OrgContext } from "@/server/orgs/orgs";

export const licenses = ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "custom"] as const;

export const datanetFields = z.object({
  name: z.string().trim().min(3, "Use at least 3 characters.").max(80, "Use at most 80 characters."),
  summary: z.string().trim().max(160, "Keep the summary to one line (160 characters)."),
  description: z.string().max(20_000, "Use at most 20,000 characters."),
  tags: z
    .array(z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9 -]{0,30}$/, "Tags are short words: letters, digits, spaces, dashes."))
    .max(10, "Use at most 10 tags."),
  license: z.enum(licenses),
  licenseText: z.string().trim().max(20_000).nullable(),
  visibility: z.enum(["public", "private"]),
  recordFormat: z.enum(recordFormats),
  contributionPolicy: z.enum(["approval", "auto_org"]),
});

export const createDraftInput = datanetFields.pick({ name: true });
export const saveDraftInput = datanetFields.partial().extend({ datanetSlug: z.string(), draftStep: z.number().int().min(0).max(10).optional() });
export const datanetSlugInput = z.object({ datanetSlug: z.string().min(1).max(64) });

export async function requireDatanet(db: Db, ctx: OrgContext, slug: string) {
  const datanet = await findDatanet(db, ctx.org.id, slug);
  if (!datanet) throw new TRPCError({ code: "NOT_FOUND", message: `No Datanet “${slug}” in this organization.` });
  return datanet;
}

/** Addresses under /[org]/datanets/ that are pages, not Datanets. */
const RESERVED_DATANET_SLUGS = new Set(["new", "directory"]);

async function freeSlug(db: Db, orgId: string, name: string): Promise<string> {
  const slug = slugify(name);
  const base = RESERVED_DATANET_SLUGS.has(slug) ? `${slug}-datanet` : slug;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!(await isDatanetSlugTaken(db, orgId, candidate))) return candidate;
  }
}

export async function createDraft(db: Db, ctx: OrgContext, input: z.infer<typeof createDraftInput>) {
  return insertDatanet(db, { orgId: ctx.org.id, slug: await freeSlug(db, ctx.org.id, input.name), name: input.name, createdBy: ctx.userId });
}

export async function saveDraft(db: Db, ctx: OrgContext, input: z.infer<typeof saveDraftInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  const { datanetSlug: _slug, ...patch } = input;
  if (datanet.status === "active" && patch.recordFormat && patch.recordFormat !== datanet.recordFormat) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "The record format cannot change once the Datanet is live. Create a new Datanet instead." });
  }
  if (patch.license && patch.license !== "custom") patch.licenseText = null;
  return updateDatanet(db, ctx.org.id, datanet.id, patch);
}

/** Review → create: checks every wizard field, then makes the Datanet live. */
export async function activate(db: Db, ctx: OrgContext, input: z.infer<typeof datanetSlugInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  const checked = datanetFields.safeParse(datanet);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new TRPCError({ code: "BAD_REQUEST", message: `${issue?.path.join(".")}: ${issue?.message} Go back to that step to fix it.` });
  }
  if (datanet.license === "custom" && !datanet.licenseText) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "licenseText: paste the custom license text, or pick one of the listed licenses." });
  }
  return updateDatanet(db, ctx.org.id, datanet.id, { status: "active" });
}

export async function discardDraft(db: Db, ctx: OrgContext, input: z.infer<typeof datanetSlugInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  if (datanet.status !== "draft") {
    throw new TRPCError({ code: "BAD_REQUEST", message: "Only drafts can be discarded; a live Datanet keeps its records and versions." });
  }
  await deleteDatanet(db, ctx.org.id, datanet.id);
}
