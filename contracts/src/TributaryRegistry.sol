// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Committers} from "./Committers.sol";
import {MerkleProof} from "./MerkleProof.sol";

/// @notice What the platform commits about data and models: Datanets (owner, metadata hash), their
/// immutable versions (Merkle root of the record content hashes, counts, manifest hash) and the
/// models trained on them (adapter hash, base model, Datanet versions used). Ids are chosen by
/// the platform (bytes32 of its database ids), so every call is fully known before it is sent.
contract TributaryRegistry is Committers {
    struct Datanet {
        address owner;
        bytes32 metadataHash;
        uint32 latestVersion;
    }

    struct Version {
        bytes32 recordsRoot;
        bytes32 manifestHash;
        uint64 recordCount;
        uint64 contributorCount;
    }

    struct DatanetVersion {
        bytes32 datanetId;
        uint32 version;
    }

    struct Model {
        address owner;
        bytes32 adapterHash;
        string baseModel;
    }

    mapping(bytes32 datanetId => Datanet) public datanets;
    mapping(bytes32 datanetId => mapping(uint32 version => Version)) public versions;
    mapping(bytes32 modelId => Model) public models;
    mapping(bytes32 modelId => DatanetVersion[]) internal modelTrainingData;

    event DatanetRegistered(bytes32 indexed datanetId, address indexed owner, bytes32 metadataHash);
    event DatanetUpdated(bytes32 indexed datanetId, address indexed owner, bytes32 metadataHash);
    event VersionCommitted(
        bytes32 indexed datanetId,
        uint32 indexed version,
        bytes32 recordsRoot,
        bytes32 manifestHash,
        uint64 recordCount,
        uint64 contributorCount
    );
    event ModelRegistered(
        bytes32 indexed modelId, address indexed owner, bytes32 adapterHash, string baseModel, DatanetVersion[] datanetVersions
    );

    error DatanetExists(bytes32 datanetId);
    error UnknownDatanet(bytes32 datanetId);
    error VersionExists(bytes32 datanetId, uint32 version);
    error InvalidVersion(bytes32 datanetId, uint32 version);
    error EmptyRoot();
    error UnknownVersion(bytes32 datanetId, uint32 version);
    error ModelExists(bytes32 modelId);
    error NoTrainingData(bytes32 modelId);

    constructor(address initialOwner, address initialCommitter) Committers(initialOwner, initialCommitter) {}

    function registerDatanet(bytes32 datanetId, address datanetOwner, bytes32 metadataHash) external onlyCommitter {
        if (datanetOwner == address(0)) revert ZeroAddress();
        if (datanets[datanetId].owner != address(0)) revert DatanetExists(datanetId);
        datanets[datanetId] = Datanet(datanetOwner, metadataHash, 0);
        emit DatanetRegistered(datanetId, datanetOwner, metadataHash);
    }

    /// @notice A Datanet's new owner or metadata (name, description, license: hashed off-chain).
    function updateDatanet(bytes32 datanetId, address datanetOwner, bytes32 metadataHash) external onlyCommitter {
        if (datanetOwner == address(0)) revert ZeroAddress();
        Datanet storage datanet = datanets[datanetId];
        if (datanet.owner == address(0)) revert UnknownDatanet(datanetId);
        datanet.owner = datanetOwner;
        datanet.metadataHash = metadataHash;
        emit DatanetUpdated(datanetId, datanetOwner, metadataHash);
    }

    /// @notice Versions are numbered from 1 and committed once; a later number may land before an
    /// earlier one (each is independent), but none is ever overwritten.
    function commitVersion(
        bytes32 datanetId,
        uint32 version,
        bytes32 recordsRoot,
        bytes32 manifestHash,
        uint64 recordCount,
        uint64 contributorCount
    ) external onlyCommitter {
        Datanet storage datanet = datanets[datanetId];
        if (datanet.owner == address(0)) revert UnknownDatanet(datanetId);
        if (version == 0) revert InvalidVersion(datanetId, version);
        if (recordsRoot == bytes32(0)) revert EmptyRoot();
        if (versions[datanetId][version].recordsRoot != bytes32(0)) revert VersionExists(datanetId, version);
        versions[datanetId][version] = Version(recordsRoot, manifestHash, recordCount, contributorCount);
        if (version > datanet.latestVersion) datanet.latestVersion = version;
        emit VersionCommitted(datanetId, version, recordsRoot, manifestHash, recordCount, contributorCount);
    }

    function registerModel(
        bytes32 modelId,
        address modelOwner,
        bytes32 adapterHash,
        string calldata baseModel,
        DatanetVersion[] calldata datanetVersions
    ) external onlyCommitter {
        if (modelOwner == address(0)) revert ZeroAddress();
        if (models[modelId].owner != address(0)) revert ModelExists(modelId);
        if (datanetVersions.length == 0) revert NoTrainingData(modelId);
        for (uint256 i = 0; i < datanetVersions.length; i++) {
            DatanetVersion calldata used = datanetVersions[i];
            if (versions[used.datanetId][used.version].recordsRoot == bytes32(0)) {
                revert UnknownVersion(used.datanetId, used.version);
            }
            modelTrainingData[modelId].push(used);
        }
        models[modelId] = Model(modelOwner, adapterHash, baseModel);
        emit ModelRegistered(modelId, modelOwner, adapterHash, baseModel, datanetVersions);
    }

    function modelExists(bytes32 modelId) external view returns (bool) {
        return models[modelId].owner != address(0);
    }

    function trainingData(bytes32 modelId) external view returns (DatanetVersion[] memory) {
        return modelTrainingData[modelId];
    }

    /// @notice Whether a record (its sha256 content hash) is in a committed version, with the proof
    /// from server/datanets/merkle.ts; the leaf is keccak256(abi.encodePacked(contentHash)).
    function verifyRecord(bytes32 datanetId, uint32 version, bytes32 contentHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = versions[datanetId][version].recordsRoot;
        return root != bytes32(0) && MerkleProof.verify(proof, root, keccak256(abi.encodePacked(contentHash)));
    }
}
