// API keys for the /v1 gateway: created on the API keys page (the secret shown once, only its
// sha256 stored), scoped to all or some of the org's deployments, with an optional expiry and
// per-minute limits. Revoking drops the key from this process's cache at once (and from other
// processes' through the trigger of migration 0006), so a revoke counts on the next request.
import { createHash, randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "@/server/db/connect";
import { lastUsedIsStale } from "@/server/db/queries/last-used";
import { apiKeyDeployments, apiKeys } from "@/server/db/schema/api-keys";
import { deployments } from "@/server/db/schema/serving";
import { dropCachedApiKey } from "./api-key-cache";

const KEY_PREFIX = "trb_";
/** `trb_` and 6 characters: enough to tell keys apart, far too few to guess the rest. */
const VISIBLE_PREFIX_LENGTH = KEY_PREFIX.length + 6;
/** `trb_` + base64url of 32 random bytes (43 characters). */
const KEY_LENGTH = KEY_PREFIX.length + 43;

const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export interface CreateApiKeyInput {
  orgId: string;
  name: string;
  createdBy: string | null;
  /** null: every deployment of the org, including later ones. */
  deploymentIds: string[] | null;
  expiresAt: Date | null;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

/** Creates a key and returns its secret: the only time it exists outside the caller's hands. */
export async function createApiKey(db: Db, input: CreateApiKeyInput) {
  const scope = input.deploymentIds ? [...new Set(input.deploymentIds)] : null;
  if (scope) {
    if (scope.length === 0) throw new TRPCError({ code: "BAD_REQUEST", message: "deploymentIds: pick at least one deployment, or allow all of them." });
    const found = await db
      .select({ id: deployments.id })
      .from(deployments)
      .where(and(eq(deployments.orgId, input.orgId), inArray(deployments.id, scope)));
    if (found.length !== scope.length) throw new TRPCError({ code: "NOT_FOUND", message: "deploymentIds: a picked deployment is not in this organization. Pick again." });
  }
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new TRPCError({ code: "BAD_REQUEST", message: "expiresAt: pick a time in the future." });
  const secret = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        orgId: input.orgId,
        name: input.name,
        prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH),
        tokenHash: hashKey(secret),
        allDeployments: scope === null,
        createdBy: input.createdBy,
        expiresAt: input.expiresAt,
        requestsPerMinute: input.requestsPerMinute,
        tokensPerMinute: input.tokensPerMinute,
      })
      .returning({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt });
    if (!row) throw new Error("api key insert returned no row");
    if (scope) await tx.insert(apiKeyDeployments).values(scope.map((deploymentId) => ({ keyId: row.id, deploymentId })));
    return { ...row, secret };
  });
}

/** The org's keys that are not revoked (expired ones too, marked), newest first, with their scope's names. */
export async function listApiKeys(db: Db, orgId: string) {
  const rows = await db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      allDeployments: apiKeys.allDeployments,
      requestsPerMinute: apiKeys.requestsPerMinute,
      tokensPerMinute: apiKeys.tokensPerMinute,
      createdAt: apiKeys.createdAt,
      expiresAt: apiKeys.expiresAt,
      lastUsedAt: apiKeys.lastUsedAt,
      expired: sql<boolean>`coalesce(${apiKeys.expiresAt} <= now(), false)`,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt));
  const scoped = rows.filter((r) => !r.allDeployments).map((r) => r.id);
  const scopes = scoped.length
    ? await db
        .select({ keyId: apiKeyDeployments.keyId, id: deployments.id, name: deployments.name })
        .from(apiKeyDeployments)
        .innerJoin(deployments, eq(apiKeyDeployments.deploymentId, deployments.id))
        .where(and(inArray(apiKeyDeployments.keyId, scoped), eq(deployments.orgId, orgId)))
        .orderBy(deployments.name)
    : [];
  return rows.map(({ allDeployments, ...r }) => ({
    ...r,
    deployments: allDeployments ? null : scopes.filter((s) => s.keyId === r.id).map(({ id, name }) => ({ id, name })),
  }));
}

/** Revoked keys are refused from the next request on; null if no such live key in the org. */
export async function revokeApiKey(db: Db, orgId: string, keyId: string) {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.orgId, orgId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, name: apiKeys.name });
  if (row) dropCachedApiKey(db, row.id);
  return row ?? null;
}

export interface ApiKeyPrincipal {
  keyId: string;
  orgId: string;
  prefix: string;
  /** null: every deployment of the org. */
  deploymentIds: string[] | null;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

type Refusal = { ok: false; status: 401; message: string };
export type ApiKeyAuthResult = { ok: true; key: ApiKeyPrincipal } | Refusal;

const refuse = (message: string): Refusal => ({ ok: false, status: 401, message });

/** Shown in errors so the caller can tell which key was meant, without echoing the secret. */
const masked = (key: string) => (key.length > 12 ? `${key.slice(0, VISIBLE_PREFIX_LENGTH)}${"*".repeat(8)}${key.slice(-4)}` : "*".repeat(key.length));

/** The key's columns that decide its authentication: what the cache keeps per key. */
export interface ApiKeyRecord {
  id: string;
  orgId: string;
  prefix: string;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  expiresAt: Date | null;
  revoked: boolean;
  /** null: every deployment of the org. */
  scope: string[] | null;
}

/** The secret in an `Authorization` header, or why it is refused before any lookup. */
export function parseAuthorization(authorizationHeader: string | null): { ok: true; secret: string; tokenHash: string } | Refusal {
  const header = authorizationHeader?.trim() ?? "";
  if (!header) {
    return refuse("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    return refuse("The Authorization header is malformed. Send it as `Authorization: Bearer YOUR_KEY`, with the key from the API keys page.");
  }
  const secret = match[1]!;
  if (!secret.startsWith(KEY_PREFIX) || secret.length !== KEY_LENGTH) return incorrect(secret);
  return { ok: true, secret, tokenHash: hashKey(secret) };
}

const incorrect = (secret: string) =>
  refuse(`Incorrect API key provided: ${masked(secret)}. You can find or create your API keys on the API keys page of your organization.`);

const recordColumns = {
  id: apiKeys.id,
  orgId: apiKeys.orgId,
  prefix: apiKeys.prefix,
  requestsPerMinute: apiKeys.requestsPerMinute,
  tokensPerMinute: apiKeys.tokensPerMinute,
  expiresAt: apiKeys.expiresAt,
  revoked: sql<boolean>`${apiKeys.revokedAt} is not null`,
  scope: sql<string[] | null>`case when ${apiKeys.allDeployments} then null else coalesce((select json_agg(${apiKeyDeployments.deploymentId}) from ${apiKeyDeployments} where ${apiKeyDeployments.keyId} = ${apiKeys.id}), '[]'::json) end`,
};

/** The key with this sha256, revoked and expired ones included; one indexed read. */
export async function findApiKey(db: Db, tokenHash: string): Promise<ApiKeyRecord | null> {
  const [row] = await db.select(recordColumns).from(apiKeys).where(eq(apiKeys.tokenHash, tokenHash));
  return row ?? null;
}

/** Whether a found key may be used now (`secret` only names it in the refusal when it was not found). */
export function checkApiKey(record: ApiKeyRecord | null, secret: string, now = Date.now()): ApiKeyAuthResult {
  if (!record) return incorrect(secret);
  if (record.revoked) return refuse(`The API key ${record.prefix}… was revoked. Create a new key on the API keys page of your organization.`);
  if (record.expiresAt && record.expiresAt.getTime() <= now) {
    return refuse(`The API key ${record.prefix}… expired at ${record.expiresAt.toISOString()}. Create a new key on the API keys page of your organization.`);
  }
  return {
    ok: true,
    key: {
      keyId: record.id,
      orgId: record.orgId,
      prefix: record.prefix,
      deploymentIds: record.scope,
      requestsPerMinute: record.requestsPerMinute,
      tokensPerMinute: record.tokensPerMinute,
    },
  };
}

/**
 * The key behind an `Authorization` header, or why it is refused, read from the database on
 * every call and writing "last used" when it is a minute old. Messages follow OpenAI's, since SDK
 * users search for those. The /v1 API goes through ApiKeyCache, which falls back to this while
 * it cannot hear about key changes.
 */
export async function authenticateApiKey(db: Db, authorizationHeader: string | null): Promise<ApiKeyAuthResult> {
  const parsed = parseAuthorization(authorizationHeader);
  if (!parsed.ok) return parsed;
  const [row] = await db
    .select({ ...recordColumns, lastUsedStale: lastUsedIsStale(apiKeys.lastUsedAt) })
    .from(apiKeys)
    .where(eq(apiKeys.tokenHash, parsed.tokenHash));
  const result = checkApiKey(row ?? null, parsed.secret);
  if (result.ok && row?.lastUsedStale) await touchApiKeys(db, [row.id]);
  return result;
}

/** Writes "last used" of these keys, where it is more than a minute old (exact to the minute, one write a minute). */
export async function touchApiKeys(db: Db, keyIds: string[]) {
  if (keyIds.length === 0) return;
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(and(inArray(apiKeys.id, keyIds), lastUsedIsStale(apiKeys.lastUsedAt)));
}

/** Whether the key may call this deployment (which the gateway found by name in the key's org). */
export function keyCanUse(key: ApiKeyPrincipal, deployment: { id: string; orgId: string }): boolean {
  return deployment.orgId === key.orgId && (key.deploymentIds === null || key.deploymentIds.includes(deployment.id));
}
