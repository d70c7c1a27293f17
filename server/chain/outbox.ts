// The chain outbox's front door: a producer enqueues a contract call inside its own database
// transaction, under an idempotency key, and the sender (./sender.ts) sends it later. The same
// key on the same chain is the same row, so asking twice never sends a second transaction.
import "server-only";
import type { Db, Tx } from "@/server/db/connect";
import { insertOutboxRow } from "@/server/db/queries/chain";
import type { ChainCall } from "./calls";
import type { ChainConfig } from "./config";

export interface EnqueueOptions {
  /** Outbox rows that must be confirmed first (e.g. a Datanet's registration before its versions). */
  dependsOn?: string | readonly string[];
}

/** Records the call to send; returns the row for the key (the first call's row when it already exists). */
export async function enqueue(db: Db | Tx, chain: Pick<ChainConfig, "chainId" | "addresses">, idempotencyKey: string, call: ChainCall, options: EnqueueOptions = {}) {
  return insertOutboxRow(
    db,
    {
      idempotencyKey,
      chainId: chain.chainId,
      call: { contract: call.contract, functionName: call.functionName, args: call.args },
      to: chain.addresses[call.contract],
      data: call.data,
      value: call.value.toString(),
    },
    typeof options.dependsOn === "string" ? [options.dependsOn] : (options.dependsOn ?? []),
  );
}
