// A live Datanet with accepted records and a published version, made without the upload
// flow (which has its own tests), for tests of what reads versions: fine-tunes, attribution.
import { createHash } from "node:crypto";
import type { Context } from "@/server/api/trpc";
import type { Db } from "@/server/db/connect";
import { datanetRecords, type RecordFormat } from "@/server/db/schema";
import { callerFor } from "./context";
import type { TestOrg } from "./orgs";

/** Contributors default to the org's owner; `contributor` names another (and a wallet) per
 * record; `context` overrides parts of the owner's request context (e.g. its chain). */
export async function publishedDatanet(
  db: Db,
  org: TestOrg,
  name: string,
  contents: object[],
  recordFormat: RecordFormat = "chat",
  {
    context = {},
    contributor = () => ({ contributorId: org.owner.userId, contributorWallet: null }),
  }: { context?: Partial<Context>; contributor?: (i: number) => { contributorId: string; contributorWallet: string | null } } = {},
) {
  const owner = callerFor(db, org.owner.userId, context);
  const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name });
  await owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, summary: "Fixture", recordFormat, license: "CC-BY-4.0", visibility: "private", contributionPolicy: "approval" });
  const datanet = await owner.datanets.activate({ orgSlug: org.slug, datanetSlug: draft.slug });
  if (!datanet) throw new Error("the fixture Datanet was not activated");
  await db.insert(datanetRecords).values(
    contents.map((content, i) => {
      const text = JSON.stringify(content);
      return {
        datanetId: datanet.id,
        ...contributor(i),
        contributorOrgId: null,
        contentHash: createHash("sha256").update(text).digest("hex"),
        content,
        sizeBytes: text.length,
        tokens: Math.ceil(text.length / 4),
        sourceFile: "fixture.jsonl",
        sourceLine: i + 1,
        status: "accepted" as const,
      };
    }),
  );
  const version = await owner.datanets.publishVersion({ orgSlug: org.slug, datanetSlug: draft.slug });
  return { datanet, version };
}

export const chatRecord = (question: string, answer: string) => ({
  messages: [
    { role: "user", content: question },
    { role: "assistant", content: answer },
  ],
});
