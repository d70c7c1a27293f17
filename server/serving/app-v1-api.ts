// The public /v1 API handlers of the running app: its database and blob store.
import "server-only";
import { getDb } from "@/server/db/client";
import { getBlobStore } from "@/server/storage/app-store";
import { createV1Api } from "./v1-api";

export const v1Api = createV1Api(() => ({ db: getDb(), store: getBlobStore() }));
