// The Datanet creation wizard's draft lifecycle and the public directory.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor } from "../helpers/context";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { expectTRPCError } from "../helpers/errors";
import { addMemberVia, createOrgWithOwner, type TestOrg } from "../helpers/orgs";

let database: TestDatabase;
let org: TestOrg;

beforeAll(async () => {
  database = await createTestDatabase();
  org = await createOrgWithOwner(database.db, "Clinic Data");
});
afterAll(() => database.close());

describe("datanet drafts", () => {
  it("saves each wizard step, resumes from the saved step, and goes live on review", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Quechua Health Q&A" });
    expect(draft).toMatchObject({ slug: "quechua-health-q-a", status: "draft", draftStep: 0 });

    await owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, summary: "Health answers in Quechua", tags: ["Quechua", "health"], draftStep: 1 });
    await owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, license: "CC-BY-SA-4.0", visibility: "public", recordFormat: "instruction", draftStep: 3 });
    const resumed = await owner.datanets.get({ orgSlug: org.slug, datanetSlug: draft.slug });
    expect(resumed).toMatchObject({ draftStep: 3, tags: ["quechua", "health"], license: "CC-BY-SA-4.0", recordFormat: "instruction" });

    const live = await owner.datanets.activate({ orgSlug: org.slug, datanetSlug: draft.slug });
    expect(live?.status).toBe("active");
    const { rows } = await callerFor(database.db, null).datanets.directory({ search: "quechua" });
    expect(rows.map((r) => r.slug)).toContain(draft.slug);
  });

  it("gives a second datanet with the same name its own address", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const a = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Same Name" });
    const b = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Same Name" });
    expect(b.slug).not.toBe(a.slug);
  });

  it("never gives a datanet an address that is a page", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    expect((await owner.datanets.createDraft({ orgSlug: org.slug, name: "New" })).slug).toBe("new-datanet");
  });

  it("refuses to go live with a custom license but no text, naming the field", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Custom License" });
    await owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, license: "custom" });
    await expectTRPCError(owner.datanets.activate({ orgSlug: org.slug, datanetSlug: draft.slug }), "BAD_REQUEST", /licenseText/);
  });

  it("keeps private and draft datanets out of the directory", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    const priv = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Private Notes Zeta" });
    await owner.datanets.activate({ orgSlug: org.slug, datanetSlug: priv.slug });
    const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Draft Zeta" });
    await owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, visibility: "public" });
    const { rows } = await callerFor(database.db, null).datanets.directory({ search: "zeta" });
    expect(rows).toEqual([]);
  });

  it("lets members create drafts but not viewers, and only drafts can be discarded", async () => {
    const viewer = await addMemberVia(database.db, org, "viewer");
    await expectTRPCError(callerFor(database.db, viewer.userId).datanets.createDraft({ orgSlug: org.slug, name: "Nope" }), "FORBIDDEN");
    const member = await addMemberVia(database.db, org, "member");
    const caller = callerFor(database.db, member.userId);
    const draft = await caller.datanets.createDraft({ orgSlug: org.slug, name: "Member Draft" });
    await caller.datanets.discardDraft({ orgSlug: org.slug, datanetSlug: draft.slug });
    await expectTRPCError(caller.datanets.get({ orgSlug: org.slug, datanetSlug: draft.slug }), "NOT_FOUND");
    const live = await caller.datanets.createDraft({ orgSlug: org.slug, name: "Member Live" });
    await caller.datanets.activate({ orgSlug: org.slug, datanetSlug: live.slug });
    await expectTRPCError(caller.datanets.discardDraft({ orgSlug: org.slug, datanetSlug: live.slug }), "BAD_REQUEST", /Only drafts/);
  });

  it("rejects bad wizard input with the field named", async () => {
    const owner = callerFor(database.db, org.owner.userId);
    await expectTRPCError(owner.datanets.createDraft({ orgSlug: org.slug, name: "x" }), "BAD_REQUEST", /name/);
    const draft = await owner.datanets.createDraft({ orgSlug: org.slug, name: "Tag Check" });
    await expectTRPCError(
      owner.datanets.saveDraft({ orgSlug: org.slug, datanetSlug: draft.slug, tags: ["!!bad"] }),
      "BAD_REQUEST",
      /tags/,
    );
  });
});
