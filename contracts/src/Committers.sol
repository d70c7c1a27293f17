// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Access control shared by the Tributary contracts: one owner, who grants and revokes
/// the committers (the platform's signing keys) allowed to write commitments.
abstract contract Committers {
    address public owner;
    mapping(address account => bool) public isCommitter;

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event CommitterGranted(address indexed account, address indexed by);
    event CommitterRevoked(address indexed account, address indexed by);

    error NotOwner(address caller);
    error NotCommitter(address caller);
    error ZeroAddress();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    modifier onlyCommitter() {
        if (!isCommitter[msg.sender]) revert NotCommitter(msg.sender);
        _;
    }

    constructor(address initialOwner, address initialCommitter) {
        if (initialOwner == address(0)) revert ZeroAddress();
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
        if (initialCommitter != address(0)) {
            isCommitter[initialCommitter] = true;
            emit CommitterGranted(initialCommitter, msg.sender);
        }
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function grantCommitter(address account) external onlyOwner {
        if (account == address(0)) revert ZeroAddress();
        isCommitter[account] = true;
        emit CommitterGranted(account, msg.sender);
    }

    function revokeCommitter(address account) external onlyOwner {
        isCommitter[account] = false;
        emit CommitterRevoked(account, msg.sender);
    }
}
