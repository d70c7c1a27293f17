import { concat, keccak256, pad, toHex, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { rewardLeaf } from "@/server/attribution/leaf";
import { merkleProofOfLeaf, merkleRootOfLeaves, verifyLeafProof } from "@/server/datanets/merkle";

const pair = (a: Hex, b: Hex) => (BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a])));

describe("rewardLeaf", () => {
  it("is keccak256(keccak256(abi.encode(address, uint256))), written out by hand", () => {
    const account = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4";
    const amount = 10n ** 18n + 7n;
    const encoded = concat([pad(account.toLowerCase() as Hex, { size: 32 }), pad(toHex(amount), { size: 32 })]);
    expect(rewardLeaf(account, amount)).toBe(keccak256(keccak256(encoded)));
    expect(rewardLeaf(account.toLowerCase(), amount)).toBe(rewardLeaf(account, amount));
    expect(rewardLeaf(account, amount + 1n)).not.toBe(rewardLeaf(account, amount));
    expect(() => rewardLeaf(account, -1n)).toThrow(/uint256/);
  });

  it("makes a tree whose proofs fold to the root with OpenZeppelin's commutative hash", () => {
    const leaves = Array.from({ length: 7 }, (_, i) => rewardLeaf(`0x${(i + 1).toString(16).padStart(40, "0")}`, BigInt(i * 1000 + 1)));
    const root = merkleRootOfLeaves(leaves);
    for (const leaf of leaves) {
      const proof = merkleProofOfLeaf(leaves, leaf)!;
      expect(proof.reduce(pair, leaf)).toBe(root);
      expect(verifyLeafProof(root, leaf, proof)).toBe(true);
    }
    const stranger = rewardLeaf("0x00000000000000000000000000000000000000ff", 1n);
    expect(merkleProofOfLeaf(leaves, stranger)).toBeNull();
    expect(verifyLeafProof(root, stranger, merkleProofOfLeaf(leaves, leaves[0]!)!)).toBe(false);
  });
});
