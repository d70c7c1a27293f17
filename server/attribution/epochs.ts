// Epoch roll-up: what an epoch's attributed inferences owe, per model version (the contract's
// model): the data contributors' parts summed into one share per wallet (or per contributor id
// where the snapshot named no wallet), the model owner's into a share for the wallet its creator
// linked (kept apart when there is none), the platform's kept as a sum. The wallets' shares are
// the leaves of the version's reward tree (server/chain/rewards-merkle.ts); its root, total and
// every leaf's proof are stored with the roll-up, made once after the epoch ended and a grace
// period passed, so the root committed for it never changes.
import type { Db } from "@/server/db/connect";
import { env } from "@/server/env";
import { epochAmounts, epochsToRollUp, findEpoch, insertEpoch } from "@/server/db/queries/attribution";
import { rewardTree } from "@/server/chain/rewards-merkle";

/** Epoch n covers [n·E, (n+1)·E) seconds since 1970, E = ATTRIBUTION_EPOCH_SECONDS: UTC days unless set shorter (demos, e2e). */
export const EPOCH_SECONDS = env.ATTRIBUTION_EPOCH_SECONDS;
export const epochOf = (at: Date) => Math.floor(at.getTime() / 1000 / EPOCH_SECONDS);

/**
 * An epoch is rolled up this long after its end: attributions made by a replica whose clock runs
 * late still land in it. Ten minutes, or a tenth of a shorter epoch so a short one closes soon.
 */
export const ROLL_UP_GRACE_SECONDS = Math.min(10 * 60, Math.floor(EPOCH_SECONDS / 10));

const WALLET = /^0x[0-9a-f]{40}$/;
/** A lowercase address, or null for anything else (a wallet a snapshot holds in another form is kept by contributor id, out of the tree). */
const walletOf = (value: string | null) => (value !== null && WALLET.test(value) ? value : null);

type Amounts = Awaited<ReturnType<typeof epochAmounts>>;

/** One version's roll-up: its row, its shares (wallets' with their proofs) and what its tree pays. */
function rollUpVersion(version: Amounts["versions"][number], amounts: Amounts["amounts"]) {
  const leaves = new Map<string, bigint>();
  const apart: { contributorKey: string; wallet: null; contributorId: string | null; amount: string; proof: null }[] = [];
  let withoutWallet = 0n;
  for (const a of amounts) {
    const amount = BigInt(a.amount);
    if (amount <= 0n) continue;
    const wallet = walletOf(a.wallet);
    if (wallet) leaves.set(wallet, (leaves.get(wallet) ?? 0n) + amount);
    else {
      withoutWallet += amount;
      apart.push({ contributorKey: `contributor:${a.contributorId ?? "unknown"}`, wallet: null, contributorId: a.contributorId, amount: a.amount, proof: null });
    }
  }
  // The owner's part joins the same tree (one leaf per address: a contributor who owns the model gets one sum).
  const ownerWallet = walletOf(version.ownerWallet);
  const ownerAmount = BigInt(version.ownerAmount);
  if (ownerWallet && ownerAmount > 0n) leaves.set(ownerWallet, (leaves.get(ownerWallet) ?? 0n) + ownerAmount);
  const tree = leaves.size > 0 ? rewardTree([...leaves].map(([wallet, amount]) => ({ contributor: wallet as `0x${string}`, amount }))) : null;
  const shares = [
    ...(tree?.claims ?? []).map((c) => ({ contributorKey: c.contributor.toLowerCase(), wallet: c.contributor.toLowerCase(), contributorId: null, amount: c.amount.toString(), proof: c.proof })),
    ...apart,
  ].map((s) => ({ ...s, fineTuneId: version.fineTuneId }));
  const row = {
    fineTuneId: version.fineTuneId,
    orgId: version.orgId,
    modelId: version.modelId,
    inferenceCount: version.inferences,
    contributorsAmount: version.contributorsAmount,
    ownerAmount: version.ownerAmount,
    ownerWallet,
    platformAmount: version.platformAmount,
    root: tree?.root ?? null,
    total: (tree?.total ?? 0n).toString(),
  };
  return { row, shares, total: tree?.total ?? 0n, withoutWallet };
}

/** Rolls up the epoch (epochs go in order: epochsToRollUp relies on it); a second call leaves the first roll-up as it is. */
async function rollUpEpoch(db: Db, epoch: number) {
  const { amounts, versions } = await epochAmounts(db, epoch);
  const rolled = versions.map((v) => rollUpVersion(v, amounts.filter((a) => a.fineTuneId === v.fineTuneId)));
  await insertEpoch(
    db,
    {
      epoch,
      total: rolled.reduce((sum, r) => sum + r.total, 0n).toString(),
      withoutWallet: rolled.reduce((sum, r) => sum + r.withoutWallet, 0n).toString(),
      shareCount: rolled.reduce((sum, r) => sum + r.shares.length, 0),
      inferenceCount: versions.reduce((sum, v) => sum + v.inferences, 0),
    },
    rolled.map((r) => r.row),
    rolled.flatMap((r) => r.shares),
  );
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

/** A version's wallet shares in a rolled-up epoch, as the reward tree takes them; null before the roll-up or when the version had no inference in it. */
export async function epochRewardShares(db: Db, epoch: number, fineTuneId: string) {
  const version = (await findEpoch(db, epoch))?.versions.find((v) => v.fineTuneId === fineTuneId);
  if (!version) return null;
  return version.shares.flatMap((s) => (s.wallet ? [{ contributor: s.wallet as `0x${string}`, amount: BigInt(s.amount) }] : []));
}
