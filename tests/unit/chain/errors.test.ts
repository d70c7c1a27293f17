// Node answers in words: each kind of revert data, and how errors are sorted into retry or not.
import { encodeErrorResult, HttpRequestError, parseAbi, RpcRequestError, TransactionRejectedRpcError } from "viem";
import { describe, expect, it } from "vitest";
import { tributaryRegistryAbi } from "@/server/chain/abi";
import { classifyChainError, describeRevert } from "@/server/chain/errors";

const builtins = parseAbi(["error Error(string)", "error Panic(uint256)", "error Elsewhere(uint256)"]);
const datanetId = `0x${"ab".repeat(32)}` as const;

describe("describeRevert", () => {
  it("says each contract error in words, and Solidity's own errors", () => {
    expect(describeRevert(encodeErrorResult({ abi: tributaryRegistryAbi, errorName: "VersionExists", args: [datanetId, 3] }))).toBe(
      "the contract reverted: version 3 of Datanet 0xabababab…abab is already committed on chain",
    );
    expect(describeRevert(encodeErrorResult({ abi: builtins, errorName: "Error", args: ["paused"] }))).toBe("the contract reverted: paused");
    expect(describeRevert(encodeErrorResult({ abi: builtins, errorName: "Panic", args: [17n] }))).toBe("the contract panicked (code 17)");
    expect(describeRevert("0x")).toBe("the contract reverted without a reason");
    expect(describeRevert(encodeErrorResult({ abi: builtins, errorName: "Elsewhere", args: [1n] }))).toMatch(/^the contract reverted with data the platform's contracts do not define \(0x/);
  });
});

describe("classifyChainError", () => {
  it("an endpoint that does not answer is retried; a revert, a used nonce and a known transaction are told apart", () => {
    const down = new HttpRequestError({ url: "http://127.0.0.1:8545", cause: new Error("fetch failed") });
    expect(classifyChainError(down)).toEqual({ kind: "unreachable", message: "the chain's RPC endpoint does not answer (HTTP request failed.)" });
    const data = encodeErrorResult({ abi: tributaryRegistryAbi, errorName: "EmptyRoot" });
    const reverted = new RpcRequestError({ body: {}, url: "", error: { code: 3, message: "execution reverted", data } });
    expect(classifyChainError(reverted)).toEqual({ kind: "revert", message: "the contract reverted: the Merkle root is empty" });
    const rejected = (message: string) => new TransactionRejectedRpcError(new RpcRequestError({ body: {}, url: "", error: { code: -32003, message } }));
    expect(classifyChainError(rejected("nonce too low")).kind).toBe("nonce used");
    expect(classifyChainError(rejected("transaction already imported")).kind).toBe("already known");
    expect(classifyChainError(rejected("insufficient funds for gas * price + value")).kind).toBe("insufficient funds");
    expect(classifyChainError(new Error("boom"))).toEqual({ kind: "rpc", message: "boom" });
  });
});
