// Which node answers make the indexer halve its getLogs range: the providers' "too many results /
// range too large" refusals and an answer past the HTTP transport's size limit, not other failures.
import { describe, expect, it } from "vitest";
import { HttpRequestError, LimitExceededRpcError, ResponseBodyTooLargeError, RpcRequestError } from "viem";
import { isRangeLimitError } from "@/server/chain/indexer";

const rpcError = (code: number, message: string) => new RpcRequestError({ body: {}, error: { code, message }, url: "http://node" });

describe("isRangeLimitError", () => {
  it("recognizes range and size refusals", () => {
    for (const error of [
      new LimitExceededRpcError(rpcError(-32005, "query returned more than 10000 results")),
      rpcError(-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range"),
      rpcError(-32000, "block range is too wide"),
      rpcError(-32000, "exceed maximum block range: 1000"),
      rpcError(-32614, "eth_getLogs is limited to a 10,000 range"),
      new ResponseBodyTooLargeError({ maxSize: 10, size: 20 }),
      new HttpRequestError({ url: "http://node", cause: new ResponseBodyTooLargeError({ maxSize: 10, size: 20 }) }),
    ]) {
      expect(isRangeLimitError(error), String(error)).toBe(true);
    }
  });

  it("does not mistake other failures for them", () => {
    for (const error of [
      new HttpRequestError({ url: "http://node", details: "fetch failed" }),
      rpcError(-32601, "the method eth_getLogs does not exist/is not available"),
      new Error("connect ECONNREFUSED 127.0.0.1:8545"),
      new LimitExceededRpcError(rpcError(-32005, "daily request count exceeded, request rate limited")),
    ]) {
      expect(isRangeLimitError(error), String(error)).toBe(false);
    }
  });
});
