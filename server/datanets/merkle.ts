// Merkle root and proofs over a Datanet version's record content hashes, built exactly as the
// contracts check them with OpenZeppelin's `MerkleProof.verify(proof, root, leaf)`.
//
// Construction:
// - leaf = keccak256(abi.encodePacked(bytes32 contentHash)): keccak256 of the 32 raw bytes of
//   the record's sha256 content hash (server/datanets/records.ts), not of its hex text.
// - Leaves are sorted ascending as 256-bit numbers; duplicates are kept.
// - Each level pairs neighbours left to right; a pair hashes as OpenZeppelin's commutative
//   keccak256: keccak256(min(a, b) ‖ max(a, b)). A last node without a partner is promoted to
//   the next level unchanged (and contributes no proof element).
// - The root of one leaf is that leaf. The root of no leaves is EMPTY_MERKLE_ROOT (32 zero bytes),
//   for which no proof verifies.
// - The tree itself (merkleTreeOfLeaves) takes any 32-byte leaves; the attribution
//   rewards reuse it with their own leaf (server/chain/rewards-merkle.ts).
// - A proof lists the sibling at each level from the leaf up, skipping levels where the node was
//   promoted; OpenZeppelin folds it with the same commutative hash, so no left/right flags.
import { concat, hexToBytes, keccak256, type Hex } from "viem";

export const EMPTY_MERKLE_ROOT: Hex = `0x${"00".repeat(32)}`;

function toBytes32(hash: string): Hex {
  const hex = hash.startsWith("0x") ? hash.slice(2) : hash;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`"${hash}" is not a 32-byte hex hash`);
  return `0x${hex.toLowerCase()}`;
}

/** keccak256 of the content hash's 32 raw bytes, as `keccak256(abi.encodePacked(contentHash))`. */
export function merkleLeaf(contentHash: string): Hex {
  return keccak256(hexToBytes(toBytes32(contentHash)));
}

function hashPair(a: Hex, b: Hex): Hex {
  // Same-length lowercase hex compares like the numbers it encodes.
  return keccak256(concat(a < b ? [a, b] : [b, a]));
}

function sortedLeaves(leaves: readonly Hex[]): Hex[] {
  return leaves.map(toBytes32).sort();
}

function nextLevel(level: Hex[]): Hex[] {
  const next: Hex[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Hex;
    const right = level[i + 1];
    next.push(right === undefined ? left : hashPair(left, right));
  }
  return next;
}

export interface MerkleTree {
  root: Hex;
  /** Proof that `leaf` is in the tree, or null when it is not. */
  proof(leaf: Hex): Hex[] | null;
}

/** The tree over already-hashed leaves (whatever they encode); its levels are built once. */
export function merkleTreeOfLeaves(leaves: readonly Hex[]): MerkleTree {
  const levels = [sortedLeaves(leaves)];
  while (levels[levels.length - 1]!.length > 1) levels.push(nextLevel(levels[levels.length - 1]!));
  const positions = new Map(levels[0]!.map((leaf, i) => [leaf, i]));
  return {
    root: levels[0]!.length === 0 ? EMPTY_MERKLE_ROOT : levels[levels.length - 1]![0]!,
    proof(leaf) {
      let index = positions.get(toBytes32(leaf));
      if (index === undefined) return null;
      const proof: Hex[] = [];
      for (const level of levels.slice(0, -1)) {
        const sibling = level[index ^ 1];
        if (sibling !== undefined) proof.push(sibling);
        index = Math.floor(index / 2);
      }
      return proof;
    },
  };
}

/** What MerkleProof.verify does with a leaf: fold the proof, compare with the root. */
export function verifyLeafProof(root: Hex, leaf: Hex, proof: readonly Hex[]): boolean {
  const computed = proof.reduce<Hex>((node, sibling) => hashPair(node, toBytes32(sibling)), toBytes32(leaf));
  return computed === toBytes32(root) && toBytes32(root) !== EMPTY_MERKLE_ROOT;
}

/** Root over the records' sha256 content hashes (hex, with or without 0x). */
export function merkleRoot(contentHashes: readonly string[]): Hex {
  return merkleTreeOfLeaves(contentHashes.map(merkleLeaf)).root;
}

/** Proof that `contentHash` is one of `contentHashes`, or null when it is not. */
export function merkleProof(contentHashes: readonly string[], contentHash: string): Hex[] | null {
  return merkleTreeOfLeaves(contentHashes.map(merkleLeaf)).proof(merkleLeaf(contentHash));
}

/** What the contract does: hash the content hash into its leaf, fold the proof, compare with the root. */
export function verifyProof(root: Hex, contentHash: string, proof: readonly Hex[]): boolean {
  return verifyLeafProof(root, merkleLeaf(contentHash), proof);
}
