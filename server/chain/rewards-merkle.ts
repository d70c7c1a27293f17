// An attribution epoch's rewards as a Merkle tree: one leaf per contributor,
// keccak256(keccak256(abi.encode(address contributor, uint256 amount))), exactly as
// TributaryRewards.rewardLeaf hashes it (double hashing, as OpenZeppelin's StandardMerkleTree,
// so a 64-byte leaf preimage can never pass for an inner node). The tree is the Datanet versions'
// tree (server/datanets/merkle.ts: sorted leaves, sorted-pair keccak), which the contract's
// MerkleProof checks. A contributor appears once per epoch: the contract pays each address once.
import { encodeAbiParameters, getAddress, isAddress, keccak256, type Address, type Hex } from "viem";
import { merkleTreeOfLeaves } from "@/server/datanets/merkle";

export interface RewardShare {
  contributor: Address;
  /** In the token's smallest unit (wei for the native currency). */
  amount: bigint;
}

export interface RewardClaim extends RewardShare {
  leaf: Hex;
  proof: Hex[];
}

export interface RewardTree {
  root: Hex;
  /** Sum of every amount: the epoch's `total`, which funding must reach before claims open. */
  total: bigint;
  /** One per contributor, in the order given, each with the proof its claim sends. */
  claims: RewardClaim[];
}

const MAX_UINT256 = 2n ** 256n - 1n;

export function rewardLeaf(contributor: Address, amount: bigint): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [contributor, amount])));
}

/** The epoch's tree; throws naming the share when an address is invalid or repeated, or an amount is not positive. */
export function rewardTree(shares: readonly RewardShare[]): RewardTree {
  if (shares.length === 0) throw new Error("an epoch needs at least one (contributor, amount) share");
  const seen = new Set<Address>();
  const normalized = shares.map(({ contributor, amount }, i) => {
    if (!isAddress(contributor, { strict: false })) throw new Error(`share ${i}: "${contributor}" is not an address`);
    const address = getAddress(contributor);
    if (seen.has(address)) throw new Error(`share ${i}: ${address} appears twice; sum its amounts into one share`);
    seen.add(address);
    if (amount <= 0n || amount > MAX_UINT256) throw new Error(`share ${i}: amount ${amount} must be a positive uint256`);
    return { contributor: address, amount, leaf: rewardLeaf(address, amount) };
  });
  const total = normalized.reduce((sum, share) => sum + share.amount, 0n);
  if (total > MAX_UINT256) throw new Error(`the amounts sum to ${total}, past uint256`);
  const tree = merkleTreeOfLeaves(normalized.map((share) => share.leaf));
  return { root: tree.root, total, claims: normalized.map((share) => ({ ...share, proof: tree.proof(share.leaf)! })) };
}
