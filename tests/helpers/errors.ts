// Assertions on the TRPCError a call throws.
import { getErrorShape, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { expect } from "vitest";
import { appRouter } from "@/server/api/root";
import type { Context } from "@/server/api/trpc";

/** Awaits `promise`, expects a TRPCError with `code`, and returns it for further checks. */
export async function expectTRPCError(promise: Promise<unknown>, code: TRPC_ERROR_CODE_KEY, message?: RegExp | string): Promise<TRPCError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${code} TRPCError, but the call succeeded`).toBeInstanceOf(TRPCError);
  const error = caught as TRPCError;
  expect(error.code, `message: ${error.message}`).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

/** The shape a client would receive for `error`, after the app's errorFormatter. */
export function errorShape(error: TRPCError, path: string, ctx: Context) {
  const shape = getErrorShape({ config: appRouter._def._config, error, type: "mutation", path, input: undefined, ctx });
  // The formatter builds fieldErrors from z.flattenError, which tRPC's inferred shape widens to {}.
  return shape as typeof shape & { data: { fieldErrors: Record<string, string[] | undefined> | null } };
}
