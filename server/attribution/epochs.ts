// Epoch roll-up: what an epoch's attributed inferences owe each contributor, summed into one
// share per wallet (or per contributor id where the snapshot named no wallet). The wallets'
// shares are the (contributor, amount) leaves that the chain side hashes into the epoch's reward
// tree (server/chain/rewards-merkle.ts) and commits. An epoch is rolled up once, after it has
// ended and a grace period has passed, so the root committed for it never changes.
import type { Db } from "@/server/db/connect";
import { epochAmounts, epochsToRollUp, findEpoch, insertEpoch } from "@/server/db/queries/attribution";

/** Epochs are UTC days: epoch n covers [n·86400, (n+1)·86400) seconds since 1970. */
export const EPOCH_SECONDS = 86_400;
export const epochOf = (at: Date) => Math.floor(at.getTime() / 1000 / EPOCH_SECONDS);

/** An epoch is rolled up this long after its end: attributions made by a replica whose clock runs late still land in it. */
export const ROLL_UP_GRACE_SECONDS = 10 * 60;

const WALLET = /^0x[0-9a-f]{40}$/;

/** Rolls up the epoch (epochs go in order: epochsToRollUp relies on it); a second call leaves the first roll-up as it is. */
async function rollUpEpoch(db: Db, epoch: number) {
  const { amounts, inferences } = await epochAmounts(db, epoch);
  let total = 0n;
  let withoutWallet = 0n;
  const shares = amounts
    .filter((a) => BigInt(a.amount) > 0n)
    .map((a) => {
      // A wallet the snapshot holds in another form than an address is kept by contributor id, out of the tree.
      const wallet = a.wallet !== null && WALLET.test(a.wallet) ? a.wallet : null;
      if (wallet) total += BigInt(a.amount);
      else withoutWallet += BigInt(a.amount);
      return { contributorKey: wallet ?? `contributor:${a.contributorId ?? "unknown"}`, wallet, contributorId: wallet ? null : a.contributorId, amount: a.amount };
    });
  await insertEpoch(db, { epoch, total: total.toString(), withoutWallet: withoutWallet.toString(), shareCount: shares.length, inferenceCount: inferences }, shares);
}

/** Rolls up every ended epoch (past the grace period) that has attributions and no roll-up; the services loop calls it. */
export async function rollUpEndedEpochs(db: Db, now = new Date()) {
  const open = epochOf(new Date(now.getTime() - ROLL_UP_GRACE_SECONDS * 1000));
  const rolled: number[] = [];
  for (const epoch of await epochsToRollUp(db, open)) {
    await rollUpEpoch(db, epoch);
    rolled.push(epoch);
  }
  return rolled;
}

/** The wallets' shares of a rolled-up epoch, as the chain side's reward tree takes them; null before the roll-up. */
export async function epochRewardShares(db: Db, epoch: number) {
  const row = await findEpoch(db, epoch);
  if (!row) return null;
  return row.shares.flatMap((s) => (s.wallet ? [{ contributor: s.wallet as `0x${string}`, amount: BigInt(s.amount) }] : []));
}
