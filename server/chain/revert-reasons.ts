// The contracts' revert reasons in words, shared by the server (the outbox's failures) and the
// browser (a contributor's claim): plain data and viem only, nothing that needs Node.
import { decodeErrorResult, type Hex } from "viem";
import { tributaryRegistryAbi, tributaryRewardsAbi } from "./abi";

/** Every error and event of the platform's contracts, for decoding what a node answers. */
export const allContractsAbi = [...tributaryRegistryAbi, ...tributaryRewardsAbi];

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

/** A decoded error in words: a custom error of the contracts, or Solidity's Error(string) and Panic(uint256). */
export function describeContractError(name: string, args: readonly unknown[]): string {
  const strings = args.map(String);
  if (name === "Error") return `the contract reverted: ${strings[0]}`;
  if (name === "Panic") return `the contract panicked (code ${strings[0]})`;
  const words = revertWords[name];
  return `the contract reverted: ${words ? words(strings) : `${name}(${strings.join(", ")})`}`;
}

/** The revert reason in words, from the revert data a node returned (a custom error, Error(string) or Panic). */
export function describeRevert(data: Hex | undefined): string {
  if (!data || data === "0x") return "the contract reverted without a reason";
  try {
    // viem also decodes Solidity's built-in Error(string) and Panic(uint256), beyond the ABI's errors.
    const decoded = decodeErrorResult({ abi: allContractsAbi, data });
    return describeContractError(decoded.errorName, decoded.args ?? []);
  } catch {
    return `the contract reverted with data the platform's contracts do not define (${short(data)})`;
  }
}


export type ClaimProblem = "wrong wallet" | "already claimed" | "stale proof" | "not funded" | "not committed" | "other";

/**
 * Why TributaryRewards.claim reverted, for the contributor who sent it: `contributor` is the
 * wallet the reward is for, `sender` the wallet that sent the claim. InvalidProof means another
 * wallet sent it when the two differ, and a proof that no longer matches the committed root when
 * they are the same.
 */
export function describeClaimRevert(name: string, args: readonly unknown[], claim: { contributor: string; sender: string | null }): { problem: ClaimProblem; message: string } {
  const a = args.map(String);
  switch (name) {
    case "AlreadyClaimed":
      return { problem: "already claimed", message: `${a[2]} already claimed epoch ${a[1]} of this model: the payment is in that wallet's history.` };
    case "InvalidProof":
      if (claim.sender && claim.sender.toLowerCase() !== claim.contributor.toLowerCase()) {
        return { problem: "wrong wallet", message: `This reward is for ${short(claim.contributor)}, and the connected wallet is ${short(claim.sender)}: switch to ${short(claim.contributor)} in your wallet and claim again.` };
      }
      return { problem: "stale proof", message: `The proof no longer matches the root committed for epoch ${a[1]}: it is stale. Reload the page for a fresh one.` };
    case "EpochNotFunded":
      return { problem: "not funded", message: `Epoch ${a[1]} is funded ${a[2]} of ${a[3]}: claims open once it is funded in full.` };
    case "UnknownEpoch":
      return { problem: "not committed", message: `Epoch ${a[1]} of this model is not committed on the chain your wallet is on. Check the wallet's network.` };
    default:
      return { problem: "other", message: `${describeContractError(name, args)}.` };
  }
}
