// A deployment's fee split on PGlite and on real Postgres: new deployments take the default,
// deploy may set one, members change it with every field checked (0 to 10,000 basis points each,
// 10,000 together, errors naming the field), viewers may not, and the deployment page says it in
// words with the contributors of the Datanet versions the model was trained on.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/server/db/connect";
import { deployments, organizations } from "@/server/db/schema";
import { env } from "@/server/env";
import { describeFeeSplit, parseFeeSplitPercent, splitFee } from "@/server/serving/fee-split";
import { callerFor, contextFor, createUser } from "../helpers/context";
import { chatRecord, publishedDatanet } from "../helpers/datanet-fixture";
import { createTestDatabase, type TestDatabase } from "../helpers/db";
import { errorShape, expectTRPCError } from "../helpers/errors";
import type { FakeServingWorker } from "../helpers/fake-serving-worker";
import { addMemberVia, createOrgWithOwner, type TestOrg } from "../helpers/orgs";
import { registeredServingWorker, trainedVersionWithAdapter } from "../helpers/serving";

let database: TestDatabase;
let db: Db;
let org: TestOrg;
let orgId: string;
let worker: FakeServingWorker;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  org = await createOrgWithOwner(db, "Splitters");
  orgId = (await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, org.slug)))[0]!.id;
  worker = await registeredServingWorker(db, "split-worker", "base-split");
});
afterAll(async () => {
  await worker?.stop();
  await database?.close();
});

const owner = () => callerFor(db, org.owner.userId);

describe("the fee split", () => {
  it("is the default on deploy, or the one deploy names, and reads in words with the training Datanets' contributors", async () => {
    const other = await createUser(db);
    const birds = await publishedDatanet(db, org, "Dusk Birds", [chatRecord("Which bird sings at dusk?", "The nightjar."), chatRecord("Which bird drums?", "The woodpecker.")], "chat", {
      contributor: (i) => ({ contributorId: i === 0 ? org.owner.userId : other.userId, contributorWallet: null }),
    });
    const moths = await publishedDatanet(db, org, "Night Moths", [chatRecord("Which moth is green?", "The emerald.")]);
    const version = await trainedVersionWithAdapter(db, orgId, "splitter", "base-split", [birds.version.id, moths.version.id]);

    const { name } = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    const shown = await owner().deployments.get({ orgSlug: org.slug, name });
    expect(shown).toMatchObject({ platformBps: 1000, ownerBps: 2000, contributorsBps: 7000 });
    expect(env.DEPLOYMENT_FEE_SPLIT).toEqual({ platformBps: 1000, ownerBps: 2000, contributorsBps: 7000 });
    expect(describeFeeSplit(shown, shown.training)).toBe(
      "Of each call's fee: 70 % to the 2 contributors of Datanet Dusk Birds v1 and the 1 contributor of Datanet Night Moths v1, 20 % to the model owner, 10 % to the platform.",
    );

    const named = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1, name: "splitter-named", feeSplit: { platformBps: 500, ownerBps: 0, contributorsBps: 9500 } });
    const [row] = await db.select().from(deployments).where(eq(deployments.id, named.id));
    expect(row).toMatchObject({ platformBps: 500, ownerBps: 0, contributorsBps: 9500 });
    await expectTRPCError(
      owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1, name: "splitter-bad", feeSplit: { platformBps: 500, ownerBps: 0, contributorsBps: 9000 } }),
      "BAD_REQUEST",
      /must add up to 100 % \(10,000 basis points\); they add up to 95 % \(9,500\)/,
    );
  });

  it("members change it; each field is checked and named, the three must sum to 10,000; viewers may not", async () => {
    const version = await trainedVersionWithAdapter(db, orgId, "editable", "base-split");
    const { id, name } = await owner().deployments.deploy({ orgSlug: org.slug, modelSlug: version.modelSlug, versionNumber: 1 });
    const member = await addMemberVia(db, org, "member");
    const asMember = callerFor(db, member.userId);
    expect(await asMember.deployments.setFeeSplit({ orgSlug: org.slug, deploymentId: id, platformBps: 1250, ownerBps: 3333, contributorsBps: 5417 })).toMatchObject({ id, platformBps: 1250, ownerBps: 3333, contributorsBps: 5417 });
    const shown = await asMember.deployments.get({ orgSlug: org.slug, name });
    expect(describeFeeSplit(shown, shown.training)).toBe("Of each call's fee: 54.17 % to the contributors of its training data, 33.33 % to the model owner, 12.5 % to the platform.");

    const outOfRange = await expectTRPCError(asMember.deployments.setFeeSplit({ orgSlug: org.slug, deploymentId: id, platformBps: -1, ownerBps: 10_001, contributorsBps: 0.5 }), "BAD_REQUEST");
    expect(errorShape(outOfRange, "deployments.setFeeSplit", contextFor(db, member.userId)).data.fieldErrors).toEqual({
      platformBps: ["use a whole number of basis points from 0 to 10,000 (1 % = 100)."],
      ownerBps: ["use a whole number of basis points from 0 to 10,000 (1 % = 100)."],
      contributorsBps: ["use a whole number of basis points from 0 to 10,000 (1 % = 100)."],
    });
    const shape = errorShape(outOfRange, "deployments.setFeeSplit", contextFor(db, member.userId));
    expect(shape.message).toMatch(/^platformBps: use a whole number of basis points from 0 to 10,000 \(1 % = 100\)\. ownerBps: /);

    const badSum = await expectTRPCError(asMember.deployments.setFeeSplit({ orgSlug: org.slug, deploymentId: id, platformBps: 1000, ownerBps: 2000, contributorsBps: 6000 }), "BAD_REQUEST");
    expect(errorShape(badSum, "deployments.setFeeSplit", contextFor(db, member.userId)).message).toBe(
      "The platform's, the model owner's and the contributors' shares must add up to 100 % (10,000 basis points); they add up to 90 % (9,000).",
    );
    expect(await asMember.deployments.get({ orgSlug: org.slug, name })).toMatchObject({ platformBps: 1250, ownerBps: 3333, contributorsBps: 5417 });

    const viewer = callerFor(db, (await addMemberVia(db, org, "viewer")).userId);
    await expectTRPCError(viewer.deployments.setFeeSplit({ orgSlug: org.slug, deploymentId: id, platformBps: 0, ownerBps: 0, contributorsBps: 10_000 }), "FORBIDDEN");
    const stranger = await createOrgWithOwner(db, "Strangers");
    await expectTRPCError(callerFor(db, stranger.owner.userId).deployments.setFeeSplit({ orgSlug: stranger.slug, deploymentId: id, platformBps: 0, ownerBps: 0, contributorsBps: 10_000 }), "NOT_FOUND");
  });

  it("splits a fee exactly, rounding towards the platform; the setting reads platform/owner/contributors in percent", () => {
    expect(splitFee(1001n, { platformBps: 1000, ownerBps: 2000, contributorsBps: 7000 })).toEqual({ platform: 101n, owner: 200n, contributors: 700n });
    expect(splitFee(7n, { platformBps: 0, ownerBps: 3333, contributorsBps: 6667 })).toEqual({ platform: 1n, owner: 2n, contributors: 4n });
    expect(parseFeeSplitPercent("5/12.5/82.5")).toEqual({ platformBps: 500, ownerBps: 1250, contributorsBps: 8250 });
    expect(() => parseFeeSplitPercent("10/20/60")).toThrow(/they add up to 90 %/);
    expect(() => parseFeeSplitPercent("10,20,70")).toThrow(/is not platform\/owner\/contributors in percent, e.g. 10\/20\/70/);
  });
});
