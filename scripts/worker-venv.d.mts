// Types of scripts/worker-venv.mjs for the TypeScript scripts that start a worker.
export const WORKER_DIR: string;
export function cacheRoot(env?: NodeJS.ProcessEnv): string;
export function workerEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export function ensureWorkerVenv(options?: { log?: (message: string) => void }): Promise<string>;
