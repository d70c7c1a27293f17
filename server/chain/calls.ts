// A contract call as the outbox stores it: which contract, the function and its arguments as people
// read them, and the calldata the sender signs. Built here so every producer encodes the same way.
import { createHash } from "node:crypto";
import {
  encodeFunctionData,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
} from "viem";
import { tributaryRegistryAbi, tributaryRewardsAbi } from "./abi";

export const chainContracts = { registry: tributaryRegistryAbi, rewards: tributaryRewardsAbi } as const;
export type ChainContract = keyof typeof chainContracts;

type Abi<C extends ChainContract> = (typeof chainContracts)[C];
type WriteName<C extends ChainContract> = ContractFunctionName<Abi<C>, "nonpayable" | "payable">;

export interface ChainCall {
  contract: ChainContract;
  functionName: string;
  /** JSON-safe: bigints as decimal strings, tuples as they were given. */
  args: unknown[];
  data: Hex;
  /** Wei sent with the call. */
  value: bigint;
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

export function contractCall<C extends ChainContract, F extends WriteName<C>>(
  contract: C,
  functionName: F,
  args: ContractFunctionArgs<Abi<C>, "nonpayable" | "payable", F>,
  value = 0n,
): ChainCall {
  // viem's generic encoder cannot narrow a union of ABIs; the signature above checks the call.
  const data = encodeFunctionData({ abi: chainContracts[contract], functionName, args } as Parameters<typeof encodeFunctionData>[0]);
  return { contract, functionName, args: (args as readonly unknown[]).map(jsonSafe), data, value };
}

/** A database uuid as the contracts' bytes32 id (left-padded with zeros). */
export function uuidToBytes32(uuid: string): Hex {
  const hex = uuid.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`not a uuid: ${uuid}`);
  return `0x${hex.padStart(64, "0")}`;
}

/** The uuid a bytes32 id holds (uuidToBytes32's inverse); null when it holds something else. */
export function bytes32ToUuid(id: string): string | null {
  const hex = /^0x0{32}([0-9a-fA-F]{32})$/.exec(id)?.[1]?.toLowerCase();
  return hex ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : null;
}

/** A hex SHA-256 (with or without 0x) as bytes32. */
export function sha256ToBytes32(sha256: string): Hex {
  const hex = sha256.replace(/^0x/, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a SHA-256 digest: ${sha256}`);
  return `0x${hex}`;
}

export function sha256Bytes32(text: string): Hex {
  return `0x${createHash("sha256").update(text).digest("hex")}`;
}
