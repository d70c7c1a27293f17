// Reward trees: one leaf per contributor, proofs that verify against the root and only for the
// right (contributor, amount), and clear refusals of shares the contract could not pay.
import { describe, expect, it } from "vitest";
import { getAddress, type Address } from "viem";
import { rewardLeaf, rewardTree } from "@/server/chain/rewards-merkle";
import { EMPTY_MERKLE_ROOT, verifyLeafProof } from "@/server/datanets/merkle";

const addr = (n: number) => getAddress(`0x${n.toString(16).padStart(40, "0")}`) as Address;

describe("rewardTree", () => {
  it("gives every share a proof of its own leaf, and none for another amount or contributor", () => {
    for (const size of [1, 2, 3, 8, 13]) {
      const shares = Array.from({ length: size }, (_, i) => ({ contributor: addr(i + 1), amount: BigInt(1000 + i * 7) }));
      const tree = rewardTree(shares);
      expect(tree.total).toBe(shares.reduce((sum, s) => sum + s.amount, 0n));
      expect(tree.root).not.toBe(EMPTY_MERKLE_ROOT);
      for (const claim of tree.claims) {
        expect(claim.leaf).toBe(rewardLeaf(claim.contributor, claim.amount));
        expect(verifyLeafProof(tree.root, claim.leaf, claim.proof)).toBe(true);
        expect(verifyLeafProof(tree.root, rewardLeaf(claim.contributor, claim.amount + 1n), claim.proof)).toBe(false);
        expect(verifyLeafProof(tree.root, rewardLeaf(addr(999), claim.amount), claim.proof)).toBe(false);
      }
    }
  });

  it("does not depend on the order of the shares, and keeps the order given for the claims", () => {
    const shares = [1, 2, 3, 4, 5].map((i) => ({ contributor: addr(i), amount: BigInt(i) }));
    const forward = rewardTree(shares);
    const backward = rewardTree([...shares].reverse());
    expect(backward.root).toBe(forward.root);
    expect(backward.claims.map((c) => c.contributor)).toEqual([5, 4, 3, 2, 1].map(addr));
  });

  it("refuses repeated contributors (in any letter case), non-positive amounts, bad addresses and empty epochs", () => {
    const a = addr(10);
    expect(() => rewardTree([{ contributor: a, amount: 1n }, { contributor: a.toLowerCase() as Address, amount: 2n }])).toThrow(/share 1: .* appears twice/);
    expect(() => rewardTree([{ contributor: a, amount: 0n }])).toThrow(/share 0: amount 0 must be a positive uint256/);
    expect(() => rewardTree([{ contributor: "0x1234" as Address, amount: 1n }])).toThrow(/share 0: "0x1234" is not an address/);
    expect(() => rewardTree([])).toThrow(/at least one/);
    expect(() => rewardTree([{ contributor: a, amount: 2n ** 256n }])).toThrow(/positive uint256/);
  });
});
