// "Publish version": freezes a Datanet's accepted records into an immutable snapshot —
// a JSONL file and a JSON manifest in blob storage, plus version rows naming every
// record — with the Merkle root the contracts verify (./merkle.ts). Blobs are written
// first under a fresh key; if the database write fails they are deleted, so a failed
// publish leaves nothing behind.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { ChainConfig } from "@/server/chain/config";
import { enqueueVersionCommit } from "@/server/chain/datanet-commits";
import type { Db } from "@/server/db/connect";
import {
  acceptedRecordBatches,
  findVersion,
  insertVersion,
  latestVersion,
  listVersions,
  nextVersionNumber,
  versionMembership,
} from "@/server/db/queries/versions";
import { findUserById } from "@/server/db/queries/users";
import type { OrgContext } from "@/server/orgs/orgs";
import type { BlobStore } from "@/server/storage/types";
import { requireDatanet } from "./datanets";
import { merkleRoot } from "./merkle";

interface Member {
  recordId: string;
  contributorId: string | null;
  contentHash: string;
  tokens: number;
}

/** Writes the snapshot JSONL while collecting what the manifest and version rows need. */
async function writeSnapshot(db: Db, store: BlobStore, datanetId: string, key: string) {
  const members: Member[] = [];
  async function* lines() {
    for await (const batch of acceptedRecordBatches(db, datanetId)) {
      let chunk = "";
      for (const r of batch) {
        members.push({ recordId: r.id, contributorId: r.contributorId, contentHash: r.contentHash, tokens: r.tokens });
        chunk += `${JSON.stringify({ id: r.id, contentHash: r.contentHash, contributorId: r.contributorId, contributorWallet: r.contributorWallet, content: r.content })}\n`;
      }
      yield chunk;
    }
  }
  const blob = await store.put(key, Readable.from(lines()), { contentType: "application/x-ndjson" });
  return { members, blob };
}

function diff<T>(previous: Set<T>, current: Set<T>) {
  let added = 0;
  for (const v of current) if (!previous.has(v)) added++;
  let removed = 0;
  for (const v of previous) if (!current.has(v)) removed++;
  return { added, removed };
}

export const publishVersionInput = z.object({ datanetSlug: z.string().min(1).max(64) });

/** Publishes the next version and, when a chain is set, queues its commit in the same transaction. */
export async function publishVersion(db: Db, store: BlobStore, chain: ChainConfig | null, ctx: OrgContext, input: z.infer<typeof publishVersionInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  if (datanet.status !== "active") throw new TRPCError({ code: "BAD_REQUEST", message: "Finish the creation wizard before publishing a version." });
  const number = await nextVersionNumber(db, datanet.id);
  const prefix = `datanets/${datanet.id}/versions/${number}-${randomBytes(4).toString("hex")}`;
  try {
    const { members, blob } = await writeSnapshot(db, store, datanet.id, `${prefix}/snapshot.jsonl`);
    if (members.length === 0) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "There are no accepted records to publish. Accept contributions first." });
    }
    const previous = await latestVersion(db, datanet.id);
    const before = previous ? await versionMembership(db, previous.id) : [];
    const records = diff(new Set(before.map((m) => m.recordId)), new Set(members.map((m) => m.recordId)));
    const contributorsNow = new Set(members.map((m) => m.contributorId));
    const contributors = diff(new Set(before.map((m) => m.contributorId)), contributorsNow);
    const root = merkleRoot(members.map((m) => m.contentHash));
    const tokenCount = members.reduce((sum, m) => sum + m.tokens, 0);
    const datanetMetadata = { id: datanet.id, orgId: datanet.orgId, slug: datanet.slug, name: datanet.name, license: datanet.license, recordFormat: datanet.recordFormat };
    const manifest = {
      datanet: datanetMetadata,
      version: number,
      createdAt: new Date().toISOString(),
      snapshot: { key: blob.key, sha256: blob.sha256, sizeBytes: blob.sizeBytes },
      counts: { records: members.length, contributors: contributorsNow.size, tokens: tokenCount },
      merkle: { root, construction: "OpenZeppelin MerkleProof: leaf = keccak256(bytes32 sha256 contentHash), sorted leaves, commutative keccak256 pairs, odd node promoted" },
      records: members.map((m) => ({ id: m.recordId, contributorId: m.contributorId, contentHash: m.contentHash })),
    };
    const manifestKey = `${prefix}/manifest.json`;
    const manifestBlob = await store.put(manifestKey, JSON.stringify(manifest), { contentType: "application/json" });
    const publisher = await findUserById(db, ctx.userId);
    return await insertVersion(
      db,
      {
        datanetId: datanet.id,
        number,
        snapshotBlobKey: blob.key,
        manifestBlobKey: manifestKey,
        merkleRoot: root,
        recordCount: members.length,
        contributorCount: contributorsNow.size,
        tokenCount,
        recordsAdded: records.added,
        recordsRemoved: records.removed,
        contributorsAdded: contributors.added,
        contributorsRemoved: contributors.removed,
        createdBy: ctx.userId,
      },
      members.map((m) => ({ recordId: m.recordId, contributorId: m.contributorId })),
      async (tx, version) => {
        await enqueueVersionCommit(tx, chain, {
          datanetId: datanet.id,
          metadataJson: JSON.stringify(datanetMetadata),
          ownerWallet: publisher?.walletAddress ?? null,
          versionId: version.id,
          number: version.number,
          merkleRoot: root,
          manifestSha256: manifestBlob.sha256,
          recordCount: members.length,
          contributorCount: contributorsNow.size,
        });
      },
    );
  } catch (error) {
    await store.deletePrefix(`${prefix}/`);
    if ((error as { code?: string }).code === "23505" || (error as { cause?: { code?: string } }).cause?.code === "23505") {
      throw new TRPCError({ code: "CONFLICT", message: "Someone published a version at the same moment. Refresh and try again." });
    }
    throw error;
  }
}

export async function versionsOf(db: Db, ctx: OrgContext, input: { datanetSlug: string }) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  return listVersions(db, datanet.id);
}

export const downloadInput = z.object({ datanetSlug: z.string().min(1).max(64), version: z.number().int().positive(), file: z.enum(["snapshot", "manifest"]) });

/** A short-lived download link for a version's snapshot or manifest. */
export async function downloadUrl(db: Db, store: BlobStore, ctx: OrgContext, input: z.infer<typeof downloadInput>) {
  const datanet = await requireDatanet(db, ctx, input.datanetSlug);
  const version = await findVersion(db, datanet.id, input.version);
  if (!version) throw new TRPCError({ code: "NOT_FOUND", message: `Version ${input.version} of this Datanet does not exist.` });
  const key = input.file === "snapshot" ? version.snapshotBlobKey : version.manifestBlobKey;
  const fileName = `${datanet.slug}-v${input.version}.${input.file === "snapshot" ? "jsonl" : "manifest.json"}`;
  return { url: await store.presignGet(key, { expiresInSeconds: 600, fileName }) };
}
