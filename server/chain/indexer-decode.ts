// Turns the Tributary contracts' logs into rows: the event itself (decoded arguments, integers as
// decimal strings) and, for the events the dashboards read, one typed projection row. Each
// address is decoded with its own contract's ABI, so a registry event can only come from the
// registry. Selectors are looked up in a map built once, not recomputed per log.
import { decodeEventLog, getAddress, toEventSelector, type AbiEvent, type Address, type Hex, type Log } from "viem";
import type { indexedLogTables, IndexedLogTableName } from "@/server/db/schema";
import { tributaryRegistryAbi, tributaryRewardsAbi } from "./abi";

export interface IndexedContracts {
  registry: Address;
  rewards: Address;
}

/** Rows of one batch of logs, per table, ready for one multi-row insert each. */
export type DecodedBatch = { [Name in IndexedLogTableName]: (typeof indexedLogTables)[Name]["$inferInsert"][] };

export const emptyBatch = (): DecodedBatch => ({
  events: [],
  datanetRegistrations: [],
  versionCommits: [],
  modelRegistrations: [],
  epochs: [],
  epochFundings: [],
  rewardClaims: [],
});

/** A mined log, as getLogs returns it (never pending). */
export type MinedLog = Log<bigint, number, false>;

type TributaryEvent = Extract<(typeof tributaryRegistryAbi)[number] | (typeof tributaryRewardsAbi)[number], { type: "event" }>;

function selectors<E extends AbiEvent>(abi: readonly ({ type: string } | E)[]): Map<Hex, E> {
  const events = abi.filter((item): item is E => item.type === "event");
  return new Map(events.map((event) => [toEventSelector(event), event]));
}

const registryEvents = selectors<TributaryEvent>(tributaryRegistryAbi);
const rewardsEvents = selectors<TributaryEvent>(tributaryRewardsAbi);

/** Decoded arguments as JSON: bigints become decimal strings, at any depth. */
function jsonArgs(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonArgs);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, jsonArgs(v)]));
  return value;
}

/** A log whose data does not fit its event's ABI is kept raw rather than stopping the indexer. */
function orNull<T>(decode: () => T): T | null {
  try {
    return decode();
  } catch {
    return null;
  }
}

/** The addresses an indexer asks getLogs for, EIP-55. */
export function contractAddresses(contracts: IndexedContracts): Address[] {
  return [getAddress(contracts.registry), getAddress(contracts.rewards)];
}

/** A decoder for one chain and contract set: `decode(logs)` returns the rows to insert. */
export function logDecoder(chainId: number, contracts: IndexedContracts) {
  const registry = getAddress(contracts.registry);
  const rewards = getAddress(contracts.rewards);
  const registryKey = registry.toLowerCase();
  const rewardsKey = rewards.toLowerCase();

  function decodeOne(log: MinedLog, batch: DecodedBatch) {
    const at = log.address.toLowerCase();
    const contract = at === registryKey ? registry : at === rewardsKey ? rewards : getAddress(log.address);
    const key = { chainId, txHash: log.transactionHash, logIndex: log.logIndex, blockNumber: log.blockNumber, contract };
    const events = contract === registry ? registryEvents : contract === rewards ? rewardsEvents : null;
    const event = log.topics[0] ? events?.get(log.topics[0]) : undefined;
    const decoded = event ? orNull(() => decodeEventLog({ abi: [event], topics: log.topics, data: log.data })) : null;
    if (!decoded) {
      batch.events.push({ ...key, address: contract, blockHash: log.blockHash, eventName: null, args: { topics: log.topics, data: log.data } });
      return;
    }
    batch.events.push({ ...key, address: contract, blockHash: log.blockHash, eventName: decoded.eventName, args: jsonArgs(decoded.args) });
    switch (decoded.eventName) {
      case "DatanetRegistered":
      case "DatanetUpdated": {
        const { datanetId, owner, metadataHash } = decoded.args;
        batch.datanetRegistrations.push({ ...key, change: decoded.eventName === "DatanetRegistered" ? "registered" : "updated", datanetId, owner, metadataHash });
        break;
      }
      case "VersionCommitted": {
        const { datanetId, version, recordsRoot, manifestHash, recordCount, contributorCount } = decoded.args;
        batch.versionCommits.push({ ...key, datanetId, version, recordsRoot, manifestHash, recordCount: recordCount.toString(), contributorCount: contributorCount.toString() });
        break;
      }
      case "ModelRegistered": {
        const { modelId, owner, adapterHash, baseModel, datanetVersions } = decoded.args;
        batch.modelRegistrations.push({ ...key, modelId, owner, adapterHash, baseModel, datanetVersions: datanetVersions.map((v) => ({ datanetId: v.datanetId, version: v.version })) });
        break;
      }
      case "EpochCommitted": {
        const { modelId, epoch, root, token, total } = decoded.args;
        batch.epochs.push({ ...key, modelId, epoch: epoch.toString(), root, token, total: total.toString() });
        break;
      }
      case "EpochFunded": {
        const { modelId, epoch, funder, amount } = decoded.args;
        batch.epochFundings.push({ ...key, modelId, epoch: epoch.toString(), funder, amount: amount.toString() });
        break;
      }
      case "RewardClaimed": {
        const { modelId, epoch, contributor, token, amount } = decoded.args;
        batch.rewardClaims.push({ ...key, modelId, epoch: epoch.toString(), contributor, token, amount: amount.toString() });
        break;
      }
    }
  }

  return (logs: readonly MinedLog[]): DecodedBatch => {
    const batch = emptyBatch();
    for (const log of logs) decodeOne(log, batch);
    return batch;
  };
}
