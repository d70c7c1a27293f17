// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Committers} from "./Committers.sol";
import {MerkleProof} from "./MerkleProof.sol";

interface IModelRegistry {
    function modelExists(bytes32 modelId) external view returns (bool);
}

interface IERC20 {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @notice Attribution epochs and their rewards. The committer commits, per model and epoch, the
/// Merkle root over (contributor, amount) leaves and their total; anyone funds the epoch with the
/// native currency or the epoch's ERC-20; once fully funded, each contributor claims their amount
/// once with a proof. Leaves are built by server/chain/rewards-merkle.ts exactly as rewardLeaf.
contract TributaryRewards is Committers {
    struct Epoch {
        bytes32 root;
        /// address(0): the native currency.
        address token;
        uint256 total;
        uint256 funded;
        uint256 claimed;
    }

    IModelRegistry public immutable registry;
    mapping(bytes32 modelId => mapping(uint64 epoch => Epoch)) public epochs;
    mapping(bytes32 modelId => mapping(uint64 epoch => mapping(address contributor => bool))) public isClaimed;

    event EpochCommitted(bytes32 indexed modelId, uint64 indexed epoch, bytes32 root, address token, uint256 total);
    event EpochFunded(bytes32 indexed modelId, uint64 indexed epoch, address indexed funder, uint256 amount, uint256 funded);
    event RewardClaimed(bytes32 indexed modelId, uint64 indexed epoch, address indexed contributor, address token, uint256 amount);

    error UnknownModel(bytes32 modelId);
    error EmptyRoot();
    error ZeroAmount();
    error EpochExists(bytes32 modelId, uint64 epoch);
    error UnknownEpoch(bytes32 modelId, uint64 epoch);
    error OverFunded(bytes32 modelId, uint64 epoch, uint256 remaining);
    error WrongValue(uint256 expected, uint256 sent);
    error EpochNotFunded(bytes32 modelId, uint64 epoch, uint256 funded, uint256 total);
    error AlreadyClaimed(bytes32 modelId, uint64 epoch, address contributor);
    error InvalidProof(bytes32 modelId, uint64 epoch, address contributor, uint256 amount);
    error ExceedsTotal(bytes32 modelId, uint64 epoch, uint256 remaining);
    error TransferFailed(address token, address to, uint256 amount);

    constructor(address initialOwner, address initialCommitter, IModelRegistry modelRegistry)
        Committers(initialOwner, initialCommitter)
    {
        if (address(modelRegistry) == address(0)) revert ZeroAddress();
        registry = modelRegistry;
    }

    /// @notice The leaf of (contributor, amount): keccak256 of keccak256(abi.encode(contributor,
    /// amount)). Hashed twice, as OpenZeppelin's StandardMerkleTree does, so a 64-byte leaf preimage
    /// can never pass for an inner node.
    function rewardLeaf(address contributor, uint256 amount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(contributor, amount))));
    }

    function commitEpoch(bytes32 modelId, uint64 epoch, bytes32 root, address token, uint256 total) external onlyCommitter {
        if (!registry.modelExists(modelId)) revert UnknownModel(modelId);
        if (root == bytes32(0)) revert EmptyRoot();
        if (total == 0) revert ZeroAmount();
        if (epochs[modelId][epoch].root != bytes32(0)) revert EpochExists(modelId, epoch);
        epochs[modelId][epoch] = Epoch(root, token, total, 0, 0);
        emit EpochCommitted(modelId, epoch, root, token, total);
    }

    /// @notice Adds `amount` to the epoch's funds: sent as value for a native epoch, else pulled
    /// from the caller with transferFrom (approve first). Funding stops at the epoch's total.
    function fund(bytes32 modelId, uint64 epoch, uint256 amount) external payable {
        Epoch storage e = epochs[modelId][epoch];
        if (e.root == bytes32(0)) revert UnknownEpoch(modelId, epoch);
        if (amount == 0) revert ZeroAmount();
        if (e.funded + amount > e.total) revert OverFunded(modelId, epoch, e.total - e.funded);
        e.funded += amount;
        if (e.token == address(0)) {
            if (msg.value != amount) revert WrongValue(amount, msg.value);
        } else {
            if (msg.value != 0) revert WrongValue(0, msg.value);
            _callToken(e.token, abi.encodeCall(IERC20.transferFrom, (msg.sender, address(this), amount)), msg.sender, amount);
        }
        emit EpochFunded(modelId, epoch, msg.sender, amount, e.funded);
    }

    /// @notice Pays the caller their amount for the epoch, once, given the proof of their leaf.
    function claim(bytes32 modelId, uint64 epoch, uint256 amount, bytes32[] calldata proof) external {
        Epoch storage e = epochs[modelId][epoch];
        if (e.root == bytes32(0)) revert UnknownEpoch(modelId, epoch);
        if (e.funded < e.total) revert EpochNotFunded(modelId, epoch, e.funded, e.total);
        if (isClaimed[modelId][epoch][msg.sender]) revert AlreadyClaimed(modelId, epoch, msg.sender);
        if (!MerkleProof.verify(proof, e.root, rewardLeaf(msg.sender, amount))) {
            revert InvalidProof(modelId, epoch, msg.sender, amount);
        }
        // A root whose leaves sum past its total must not spend other epochs' funds.
        if (e.claimed + amount > e.total) revert ExceedsTotal(modelId, epoch, e.total - e.claimed);
        isClaimed[modelId][epoch][msg.sender] = true;
        e.claimed += amount;
        if (e.token == address(0)) {
            (bool sent,) = msg.sender.call{value: amount}("");
            if (!sent) revert TransferFailed(address(0), msg.sender, amount);
        } else {
            _callToken(e.token, abi.encodeCall(IERC20.transfer, (msg.sender, amount)), msg.sender, amount);
        }
        emit RewardClaimed(modelId, epoch, msg.sender, e.token, amount);
    }

    /// @dev Accepts tokens that return true and tokens that return nothing; anything else reverts.
    function _callToken(address token, bytes memory data, address party, uint256 amount) private {
        (bool ok, bytes memory returned) = token.call(data);
        if (!ok || token.code.length == 0 || (returned.length != 0 && !abi.decode(returned, (bool)))) {
            revert TransferFailed(token, party, amount);
        }
    }
}
