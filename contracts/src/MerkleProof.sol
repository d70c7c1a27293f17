// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Checks a Merkle proof the way OpenZeppelin's MerkleProof.verify does: each pair is
/// hashed as keccak256(min(a, b) ++ max(a, b)), so a proof needs no left/right flags. The trees
/// are built off-chain by server/datanets/merkle.ts, which a test checks against this library.
library MerkleProof {
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) internal pure returns (bool) {
        bytes32 node = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            node = hashPair(node, proof[i]);
        }
        return node == root;
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32 hash) {
        (bytes32 low, bytes32 high) = a < b ? (a, b) : (b, a);
        // Same bytes as keccak256(abi.encodePacked(low, high)), without the memory allocation.
        assembly {
            mstore(0x00, low)
            mstore(0x20, high)
            hash := keccak256(0x00, 0x40)
        }
    }
}
