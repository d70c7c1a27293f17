import { createHash } from "node:crypto";
import { concat, keccak256, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { EMPTY_MERKLE_ROOT, merkleLeaf, merkleProof, merkleRoot, verifyProof } from "@/server/datanets/merkle";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const hashes = (n: number) => Array.from({ length: n }, (_, i) => sha(`record ${i}`));

/** OpenZeppelin's MerkleProof.processProof, written with numeric comparison as in Solidity. */
function ozProcessProof(proof: Hex[], leaf: Hex): Hex {
  return proof.reduce((a, b) => (BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]))), leaf);
}
const pair = (a: Hex, b: Hex) => (BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a])));

describe("merkleLeaf", () => {
  it("hashes the 32 raw bytes of the content hash, with or without 0x", () => {
    const h = sha("x");
    expect(merkleLeaf(h)).toBe(keccak256(`0x${h}`));
    expect(merkleLeaf(`0x${h.toUpperCase()}`)).toBe(merkleLeaf(h));
    expect(() => merkleLeaf("abc")).toThrow(/not a 32-byte hex hash/);
  });
});

describe("merkleRoot", () => {
  it("is the zero hash for no records", () => {
    expect(merkleRoot([])).toBe(EMPTY_MERKLE_ROOT);
    expect(EMPTY_MERKLE_ROOT).toBe(`0x${"0".repeat(64)}`);
  });

  it("is the leaf itself for one record", () => {
    const [h] = hashes(1) as [string];
    expect(merkleRoot([h])).toBe(merkleLeaf(h));
    expect(merkleProof([h], h)).toEqual([]);
    expect(verifyProof(merkleRoot([h]), h, [])).toBe(true);
  });

  it("hashes the sorted pair for two records, in any input order", () => {
    const [a, b] = hashes(2) as [string, string];
    const root = pair(merkleLeaf(a), merkleLeaf(b));
    expect(merkleRoot([a, b])).toBe(root);
    expect(merkleRoot([b, a])).toBe(root);
  });

  it("promotes the odd leaf for three records", () => {
    const hs = hashes(3);
    const [l0, l1, l2] = hs.map(merkleLeaf).sort() as [Hex, Hex, Hex];
    expect(merkleRoot(hs)).toBe(pair(pair(l0, l1), l2));
    const top = hs.find((h) => merkleLeaf(h) === l2) as string;
    expect(merkleProof(hs, top)).toEqual([pair(l0, l1)]);
  });
});

describe("merkleProof / verifyProof", () => {
  for (const n of [1, 2, 3, 8]) {
    it(`proves every one of ${n} records as OpenZeppelin would verify it`, () => {
      const hs = hashes(n);
      const root = merkleRoot(hs);
      for (const h of hs) {
        const proof = merkleProof(hs, h);
        expect(proof).not.toBeNull();
        expect(verifyProof(root, h, proof ?? [])).toBe(true);
        expect(ozProcessProof(proof ?? [], merkleLeaf(h))).toBe(root);
        if (n === 8) expect(proof).toHaveLength(3);
      }
    });
  }

  it("refuses a tampered proof, a foreign record and a wrong root", () => {
    const hs = hashes(8);
    const root = merkleRoot(hs);
    const target = hs[5] as string;
    const proof = merkleProof(hs, target) ?? [];
    const tampered = [...proof];
    tampered[1] = keccak256("0x01");
    expect(verifyProof(root, target, tampered)).toBe(false);
    expect(verifyProof(root, sha("not in the set"), proof)).toBe(false);
    expect(verifyProof(merkleRoot(hashes(7)), target, proof)).toBe(false);
    expect(merkleProof(hs, sha("not in the set"))).toBeNull();
    expect(verifyProof(EMPTY_MERKLE_ROOT, target, [])).toBe(false);
  });
});
