// Settings: the one place that reads process.env. Every setting has an embedded
// default (see .env.example); a bad value stops the process with a message naming it.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ANVIL_DEV_ACCOUNTS } from "./chain/dev-accounts";
import { parseFeeSplitPercent } from "./serving/fee-split";

const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url().optional());
const optionalString = z.preprocess((v) => (v === "" ? undefined : v), z.string().optional());
const optionalAddress = (contract: string) =>
  z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, `must be the 0x-prefixed 20-byte address of the deployed ${contract}`)
      .optional(),
  );

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Folder for embedded state: PGlite database, local blobs, generated secrets. */
  DATA_DIR: z.string().default(".data"),
  /** Public URL of the web app; SIWE messages are bound to its host. */
  APP_URL: z.url().default("http://localhost:3000"),
  /** Postgres connection string; unset means embedded PGlite in DATA_DIR/pglite. */
  DATABASE_URL: optionalUrl,
  /** Secret for session tokens; unset means one generated once into DATA_DIR. */
  AUTH_SECRET: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional()),
  /** Chain ids a wallet may sign in from (comma-separated). */
  SIWE_CHAIN_IDS: z
    .string()
    .default("1,8453,10,42161,31337")
    .transform((s) => s.split(",").map((id) => Number(id.trim())))
    .pipe(z.array(z.number().int().positive()).min(1)),
  /** WalletConnect Cloud project id; unset: only browser-extension wallets are offered. */
  WALLETCONNECT_PROJECT_ID: optionalString,
  /** Sign-in attempts allowed per email in one window. */
  AUTH_MAX_ATTEMPTS: z.coerce.number().int().positive().default(10),
  /** Sign-in attempts allowed per client address in one window (higher: offices share an address). */
  AUTH_MAX_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().positive().default(100),
  AUTH_ATTEMPT_WINDOW_SECONDS: z.coerce.number().int().positive().default(15 * 60),
  /** SMTP server for invite emails (smtp://user:pass@host:port); unset: links are only shown in the UI. */
  SMTP_URL: optionalUrl,
  SMTP_FROM: z.string().default("Tributary <no-reply@localhost>"),
  /** S3-compatible blob storage; unset S3_BUCKET means the local folder DATA_DIR/blobs. */
  S3_ENDPOINT: optionalUrl,
  S3_BUCKET: optionalString,
  S3_REGION: z.string().default("us-east-1"),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  /** EVM JSON-RPC endpoint for attribution commits; unset: the local dev chain that `npm run dev` starts, if any. */
  CHAIN_RPC_URL: optionalUrl,
  CHAIN_ID: z.coerce.number().int().positive().default(31337),
  /** Deployed contracts on CHAIN_RPC_URL's chain (required with it). */
  CHAIN_REGISTRY_ADDRESS: optionalAddress("TributaryRegistry"),
  CHAIN_REWARDS_ADDRESS: optionalAddress("TributaryRewards"),
  /** Private key of an account granted the committer role; unset: nothing is committed (versions show no commit). */
  CHAIN_COMMITTER_KEY: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key (64 hex digits)")
      .optional(),
  ),
  /**
   * The block the indexer's first backfill starts at on CHAIN_RPC_URL's chain: the contracts'
   * deployment block (`npm run contracts:deploy` prints it); unset: block 0. The local dev chain
   * starts at its recorded deployment block.
   */
  CHAIN_START_BLOCK: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .regex(/^\d+$/, "must be a block number (a non-negative integer), e.g. the deployment block `npm run contracts:deploy` printed")
      .transform((v) => BigInt(v))
      .optional(),
  ),
  /** Blocks on top of a transaction's block (its own included) before a commit counts as confirmed. */
  CHAIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(1),
  /** A block explorer of the chain (e.g. https://basescan.org): the dashboards link `<url>/tx/<hash>` and `<url>/block/<n>`; unset: hashes as text only. */
  CHAIN_EXPLORER_URL: optionalUrl,
  /** The committer funds each attribution epoch it commits, in the native currency (always on the local dev chain). */
  CHAIN_FUND_EPOCHS: z.stringbool().default(false),
  /** `npm run dev` starts a local chain (anvil, state in DATA_DIR/chain) when CHAIN_RPC_URL is unset. */
  LOCAL_CHAIN: z.stringbool().default(true),
  /** Port of the local chain (anvil) that `npm run dev` starts when CHAIN_RPC_URL is unset. */
  CHAIN_PORT: z.coerce.number().int().min(1).max(65535).default(8545),
  /**
   * Test-only: anvil dev accounts (numbers 0–9, comma-separated) offered as "Test wallet" entries in
   * the connect dialog, wagmi's mock connector sending through the local chain, which signs for
   * them. Honoured only on the local dev chain (anvil, chain id 31337); refused with CHAIN_RPC_URL.
   */
  TEST_WALLET_ACCOUNTS: z
    .string()
    .default("")
    .transform((s) => s.split(",").map((n) => n.trim()).filter((n) => n !== "").map(Number))
    .pipe(z.array(z.number().int("must list anvil dev account numbers, e.g. 7,8").min(0).max(ANVIL_DEV_ACCOUNTS - 1, `anvil has dev accounts 0 to ${ANVIL_DEV_ACCOUNTS - 1}`))),
  /** `npm run dev` starts a local worker (CPU, or the local GPU) with a platform token kept in DATA_DIR. */
  LOCAL_WORKER: z.stringbool().default(true),
  /** A worker's lease on a job expires when not renewed by a heartbeat for this long. */
  WORKER_LEASE_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
  /** A failed attempt is retried after this many seconds, doubling per attempt (capped at 10 minutes). */
  JOB_RETRY_BASE_SECONDS: z.coerce.number().int().min(0).max(3600).default(15),
  /** An inference's fee per token (prompt and completion), in the reward token's smallest unit; split per deployment. */
  ATTRIBUTION_REWARD_PER_TOKEN: z
    .string()
    .regex(/^\d+$/, "ATTRIBUTION_REWARD_PER_TOKEN must be a non-negative integer (the reward token's smallest unit)")
    .default("1000000000000")
    .transform((v) => BigInt(v)),
  /** Length of an attribution epoch in seconds (UTC days by default); shorter only for demos and e2e, as committed epochs keep their numbers. */
  ATTRIBUTION_EPOCH_SECONDS: z.coerce.number().int().min(60, "ATTRIBUTION_EPOCH_SECONDS must be at least 60").max(86_400).default(86_400),
  /** The shortest run of words of an output that counts as reproduced from a training record. */
  ATTRIBUTION_MIN_WORDS: z.coerce.number().int().min(1).max(1000).default(6),
  /** A new deployment's fee split: platform/owner/contributors in percent (editable per deployment). */
  DEPLOYMENT_FEE_SPLIT: z
    .string()
    .default("10/20/70")
    .transform((v, ctx) => {
      try {
        return parseFeeSplitPercent(v);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
}).superRefine((settings, ctx) => {
  if (!settings.CHAIN_RPC_URL) {
    if (settings.CHAIN_START_BLOCK !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["CHAIN_START_BLOCK"],
        message: "only with CHAIN_RPC_URL: the local dev chain's indexer starts at the deployment block recorded in DATA_DIR/chain.json; unset it",
      });
    }
    return;
  }
  if (settings.TEST_WALLET_ACCOUNTS.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["TEST_WALLET_ACCOUNTS"],
      message: "test-only: it offers anvil's unlocked dev accounts as wallets, which only the local dev chain has; unset it when CHAIN_RPC_URL is set",
    });
  }
  for (const key of ["CHAIN_REGISTRY_ADDRESS", "CHAIN_REWARDS_ADDRESS"] as const) {
    if (!settings[key]) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: "required when CHAIN_RPC_URL is set: deploy the contracts there with `npm run contracts:deploy` and set the addresses it prints",
      });
    }
  }
});

export type Env = z.infer<typeof schema>;

function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid settings (see .env.example):\n${lines.join("\n")}`);
  }
  return result.data;
}

export const env = parseEnv(process.env);

// next-auth 4 reads its public URL from NEXTAUTH_URL; keep it the same as APP_URL.
process.env.NEXTAUTH_URL ??= env.APP_URL;

/** The auth secret: AUTH_SECRET, or one generated on first start and kept in DATA_DIR. */
export function authSecret(): string {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  const file = path.join(env.DATA_DIR, "auth-secret");
  if (!existsSync(file)) {
    mkdirSync(env.DATA_DIR, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process wrote it first; read theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return readFileSync(file, "utf8").trim();
}
