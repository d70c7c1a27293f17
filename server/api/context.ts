// Builds the tRPC context for a request (route handler or server component).
import "server-only";
import { currentUserId, clientAddressFrom } from "@/server/auth/options";
import { appChainConfig } from "@/server/chain/config";
import { getDb } from "@/server/db/client";
import { env } from "@/server/env";
import { createMailer } from "@/server/mail";
import { getBlobStore } from "@/server/storage/app-store";
import type { Context } from "./trpc";

const mailer = createMailer(env.SMTP_URL, env.SMTP_FROM);

export async function createRequestContext(headers: Headers): Promise<Context> {
  return {
    db: getDb(),
    userId: await currentUserId(),
    clientAddress: clientAddressFrom(headers),
    appUrl: env.APP_URL,
    siweChainIds: env.SIWE_CHAIN_IDS,
    mailer,
    blobs: getBlobStore(),
    chain: appChainConfig(),
  };
}
