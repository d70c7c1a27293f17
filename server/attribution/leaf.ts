// The leaf of an attribution epoch's reward tree: the one definition the contract's claim
// check must match.
//
// leaf = keccak256(bytes.concat(keccak256(abi.encode(address account, uint256 amount))))
//
// the double hash OpenZeppelin's StandardMerkleTree uses: a leaf preimage is never 64 bytes
// of hashes, so no inner node can pass for a leaf. In Solidity:
//   bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
//   require(MerkleProof.verify(proof, root, leaf));
// The tree over these leaves is server/datanets/merkle.ts's (sorted leaves, commutative
// keccak256 pairs, an odd node promoted), which MerkleProof.verify checks.
import { encodeAbiParameters, getAddress, keccak256, type Address, type Hex } from "viem";

export function rewardLeaf(account: Address | string, amount: bigint): Hex {
  if (amount < 0n || amount >= 2n ** 256n) throw new Error(`amount ${amount} does not fit a uint256`);
  return keccak256(keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [getAddress(account), amount])));
}
