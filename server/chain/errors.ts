// What a node's answer means for the outbox: the node did not answer (retry with backoff), a
// contract reverted (permanent; the reason in words), the nonce is taken, the transaction is
// already known, the signer cannot pay, or some other RPC error (retry).
import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  ExecutionRevertedError,
  HttpRequestError,
  InsufficientFundsError,
  NonceTooLowError,
  RpcRequestError,
  SocketClosedError,
  TimeoutError,
  WebSocketRequestError,
  type Hex,
} from "viem";
import { allContractsAbi } from "./calls";

export type ChainErrorKind = "unreachable" | "revert" | "nonce used" | "already known" | "insufficient funds" | "rpc";

export interface ClassifiedError {
  kind: ChainErrorKind;
  /** One sentence a person can act on. */
  message: string;
}

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex);

/** Each custom error of the contracts in words; `a` holds the error's arguments as strings. */
const revertWords: Record<string, (a: string[]) => string> = {
  NotCommitter: (a) => `the signing account ${a[0]} is not a committer of this contract: its owner must call grantCommitter(${a[0]}), or set CHAIN_COMMITTER_KEY to a committer's key`,
  NotOwner: (a) => `${a[0]} is not the contract's owner`,
  ZeroAddress: () => "an address argument is the zero address",
  DatanetExists: (a) => `Datanet ${short(a[0]!)} is already registered on chain`,
  UnknownDatanet: (a) => `Datanet ${short(a[0]!)} is not registered on chain yet`,
  VersionExists: (a) => `version ${a[1]} of Datanet ${short(a[0]!)} is already committed on chain`,
  InvalidVersion: (a) => `version ${a[1]} is not a valid version number (versions start at 1)`,
  EmptyRoot: () => "the Merkle root is empty",
  UnknownVersion: (a) => `version ${a[1]} of Datanet ${short(a[0]!)} is not committed on chain`,
  ModelExists: (a) => `model ${short(a[0]!)} is already registered on chain`,
  NoTrainingData: (a) => `model ${short(a[0]!)} names no Datanet version it was trained on`,
  UnknownModel: (a) => `model ${short(a[0]!)} is not registered on chain`,
  ZeroAmount: () => "the amount is zero",
  EpochExists: (a) => `epoch ${a[1]} of model ${short(a[0]!)} is already committed`,
  UnknownEpoch: (a) => `epoch ${a[1]} of model ${short(a[0]!)} is not committed`,
  OverFunded: (a) => `epoch ${a[1]} of model ${short(a[0]!)} needs only ${a[2]} more`,
  WrongValue: (a) => `the call must send ${a[0]} wei, not ${a[1]}`,
  EpochNotFunded: (a) => `epoch ${a[1]} of model ${short(a[0]!)} is funded ${a[2]} of ${a[3]}`,
  AlreadyClaimed: (a) => `${a[2]} already claimed epoch ${a[1]} of model ${short(a[0]!)}`,
  InvalidProof: (a) => `the proof for ${a[2]} (amount ${a[3]}) does not match epoch ${a[1]} of model ${short(a[0]!)}`,
  ExceedsTotal: (a) => `epoch ${a[1]} of model ${short(a[0]!)} has only ${a[2]} left to claim`,
  TransferFailed: (a) => `the token ${a[0]} refused to transfer ${a[2]} to ${a[1]}`,
};

/** The revert reason in words, from the revert data a node returned (a custom error, Error(string) or Panic). */
export function describeRevert(data: Hex | undefined): string {
  if (!data || data === "0x") return "the contract reverted without a reason";
  try {
    const decoded = decodeErrorResult({ abi: allContractsAbi, data });
    const args = (decoded.args ?? []).map(String);
    // viem also decodes Solidity's built-in Error(string) and Panic(uint256), beyond the ABI's errors.
    const name: string = decoded.errorName;
    if (name === "Error") return `the contract reverted: ${args[0]}`;
    if (name === "Panic") return `the contract panicked (code ${args[0]})`;
    const words = revertWords[name];
    return `the contract reverted: ${words ? words(args) : `${name}(${args.join(", ")})`}`;
  } catch {
    return `the contract reverted with data the platform's contracts do not define (${short(data)})`;
  }
}

function revertData(error: BaseError): Hex | undefined {
  const decoded = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (decoded instanceof ContractFunctionRevertedError && decoded.raw) return decoded.raw;
  const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string" && /^0x[0-9a-fA-F]*$/.test((e as { data: string }).data));
  return (withData as { data?: Hex } | null)?.data;
}

const matches = (error: BaseError, pattern: RegExp) => Boolean(error.walk((e) => pattern.test(`${(e as BaseError).details ?? ""} ${(e as Error).message ?? ""}`)));

export function classifyChainError(error: unknown): ClassifiedError {
  if (!(error instanceof BaseError)) return { kind: "rpc", message: error instanceof Error ? error.message : String(error) };
  const transport = error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WebSocketRequestError || e instanceof SocketClosedError);
  if (transport) {
    const detail = transport instanceof HttpRequestError && transport.status ? `HTTP ${transport.status}` : (transport as BaseError).shortMessage;
    return { kind: "unreachable", message: `the chain's RPC endpoint does not answer (${detail})` };
  }
  const reverted = error.walk((e) => e instanceof ExecutionRevertedError || e instanceof ContractFunctionRevertedError || (e instanceof RpcRequestError && e.code === 3));
  if (reverted) return { kind: "revert", message: describeRevert(revertData(error)) };
  if (error.walk((e) => e instanceof NonceTooLowError) || matches(error, /nonce too low|nonce has already been used|nonce_expired|oldnonce/i)) {
    return { kind: "nonce used", message: "the transaction's nonce was already used" };
  }
  if (matches(error, /already known|already imported|known transaction|alreadyknown/i)) return { kind: "already known", message: "the node already has the transaction" };
  if (error.walk((e) => e instanceof InsufficientFundsError) || matches(error, /insufficient funds/i)) {
    return { kind: "insufficient funds", message: "the signing account has too little of the chain's currency to pay for gas: send it some" };
  }
  return { kind: "rpc", message: `the node refused the request: ${error.details || error.shortMessage}` };
}
