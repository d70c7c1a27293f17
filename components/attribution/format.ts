// Amounts and shares as the attribution pages write them (epochs: ./epochs.ts). Amounts are
// integers in the reward token's smallest unit (wei for the native currency, which every epoch
// uses unless it names an ERC-20 token).
import { formatEther } from "viem";

const NATIVE = "0x0000000000000000000000000000000000000000";
const MAX_DECIMALS = 8;

/** 0.00006 ETH; a token's amount in its smallest units, named by its address. */
export function formatAmount(amount: string | bigint, token: string = NATIVE): string {
  const value = BigInt(amount);
  if (token.toLowerCase() !== NATIVE) return `${value.toLocaleString("en")} units of token ${token.slice(0, 6)}…${token.slice(-4)}`;
  if (value === 0n) return "0 ETH";
  const [whole = "0", fraction = ""] = formatEther(value).split(".");
  const kept = fraction.slice(0, MAX_DECIMALS).replace(/0+$/, "");
  if (whole === "0" && kept === "") return `< 0.${"0".repeat(MAX_DECIMALS - 1)}1 ETH`;
  return `${Number(whole).toLocaleString("en")}${kept ? `.${kept}` : ""} ETH`;
}

/** An amount in ETH as a chart value (a double is precise enough to draw). */
export const toEth = (amount: string | bigint) => Number(formatEther(BigInt(amount)));

/** The unit a chart of amounts is drawn in: the largest in which its top value is at least 1, so ticks stay short. */
export interface ChartUnit {
  label: string;
  wei: bigint;
}

const chartUnits: ChartUnit[] = [
  { label: "ETH", wei: 10n ** 18n },
  { label: "mETH", wei: 10n ** 15n },
  { label: "µETH", wei: 10n ** 12n },
  { label: "gwei", wei: 10n ** 9n },
];

export function chartUnit(amounts: Iterable<string | bigint>): ChartUnit {
  let max = 0n;
  for (const a of amounts) if (BigInt(a) > max) max = BigInt(a);
  return chartUnits.find((u) => max >= u.wei) ?? chartUnits[chartUnits.length - 1]!;
}

/** An amount in a chart's unit, as a number to draw. */
export const inUnit = (amount: string | bigint, unit: ChartUnit) => Number((BigInt(amount) * 1_000_000n) / unit.wei) / 1_000_000;

/** A chart tick: few digits, no trailing zeros. */
export const formatTick = (value: number) => (value === 0 ? "0" : Number(value.toPrecision(3)).toLocaleString("en"));

export const formatShare = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.1 ? 1 : 0)} %`;
