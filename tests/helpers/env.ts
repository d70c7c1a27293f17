// Settings in unit tests: server/env.ts reads process.env once, when first imported, so a test
// stubs the settings and imports the module under test afresh; restoreEnv() undoes both.
import { vi } from "vitest";

/** Stubs `settings` (unset ones as undefined) and imports what `load` imports, with a fresh server/env.ts. */
export async function importWithEnv<T>(settings: Record<string, string | undefined>, load: () => Promise<T>): Promise<T> {
  vi.resetModules();
  for (const [key, value] of Object.entries(settings)) vi.stubEnv(key, value);
  return load();
}

/** For afterEach: the real settings, and modules imported afresh again. */
export function restoreEnv() {
  vi.unstubAllEnvs();
  vi.resetModules();
}
