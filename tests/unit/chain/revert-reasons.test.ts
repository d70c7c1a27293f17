// A claim's revert in words for the contributor: wrong wallet, already claimed, stale proof, not
// funded, not committed, and any other error as the outbox words it.
import { describe, expect, it } from "vitest";
import { describeClaimRevert } from "@/server/chain/revert-reasons";

const model = `0x${"0".repeat(32)}${"ab".repeat(16)}`;
const alice = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const bob = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";

describe("describeClaimRevert", () => {
  it("tells a wrong wallet from a stale proof by who sent the claim", () => {
    expect(describeClaimRevert("InvalidProof", [model, 20100n, bob, 5n], { contributor: alice, sender: bob })).toEqual({
      problem: "wrong wallet",
      message: "This reward is for 0x90F79bf6…b906, and the connected wallet is 0x15d34AAf…6A65: switch to 0x90F79bf6…b906 in your wallet and claim again.",
    });
    expect(describeClaimRevert("InvalidProof", [model, 20100n, alice, 5n], { contributor: alice, sender: alice.toLowerCase() })).toMatchObject({ problem: "stale proof", message: expect.stringMatching(/root committed for epoch 20100: it is stale/) });
  });

  it("says what else stops a claim", () => {
    expect(describeClaimRevert("AlreadyClaimed", [model, 20100n, alice], { contributor: alice, sender: alice })).toMatchObject({ problem: "already claimed" });
    expect(describeClaimRevert("EpochNotFunded", [model, 20100n, 3n, 10n], { contributor: alice, sender: alice }).message).toBe("Epoch 20100 is funded 3 of 10: claims open once it is funded in full.");
    expect(describeClaimRevert("UnknownEpoch", [model, 20100n], { contributor: alice, sender: null })).toMatchObject({ problem: "not committed" });
    expect(describeClaimRevert("TransferFailed", ["0x0000000000000000000000000000000000000000", alice, 5n], { contributor: alice, sender: alice })).toEqual({
      problem: "other",
      message: `the contract reverted: the token 0x0000000000000000000000000000000000000000 refused to transfer 5 to ${alice}.`,
    });
  });
});
