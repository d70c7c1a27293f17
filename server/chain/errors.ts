// What a node's answer means for the outbox: the node did not answer (retry with backoff), a
// contract reverted (permanent; the reason in words), the nonce is taken, the transaction is
// already known, the signer cannot pay, or some other RPC error (retry).
import {
  BaseError,
  ContractFunctionRevertedError,
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
import { describeRevert } from "./revert-reasons";

export { describeRevert };

export type ChainErrorKind = "unreachable" | "revert" | "nonce used" | "already known" | "insufficient funds" | "rpc";

export interface ClassifiedError {
  kind: ChainErrorKind;
  /** One sentence a person can act on. */
  message: string;
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
