// Why a claim did not go through, in words: declined in the wallet, the contract's revert as the
// contributor reads it (server/chain/revert-reasons.ts, shared with the server), or the wallet's
// own message.
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";
import { describeClaimRevert, describeRevert } from "@/server/chain/revert-reasons";

export function claimProblem(error: unknown, claim: { contributor: string; sender: string | null }): string {
  if (!(error instanceof BaseError)) return error instanceof Error ? error.message : String(error);
  if (error.walk((e) => e instanceof UserRejectedRequestError) || /user (rejected|denied)/i.test(error.message)) {
    return "You declined the transaction in your wallet. Nothing was sent.";
  }
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    if (reverted.data) return describeClaimRevert(reverted.data.errorName, reverted.data.args ?? [], claim).message;
    if (reverted.raw) return `${describeRevert(reverted.raw)}.`;
    if (reverted.reason) return `The contract reverted: ${reverted.reason}.`;
  }
  return error.shortMessage;
}
