// next-auth configuration: two credential providers (email + password, and
// Sign-In with Ethereum) over JWT sessions that carry only the user id.
import "server-only";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getServerSession } from "next-auth";
import { TRPCError } from "@trpc/server";
import { getDb } from "@/server/db/client";
import { authSecret, env } from "@/server/env";
import { signInInput, signInWithPassword, signInWithWallet } from "./accounts";
import { siweSignedInput } from "./siwe";

/**
 * First address in X-Forwarded-For, as set by the proxy in front of the app; null
 * without one (Next.js does not expose the socket), so per-address limits are skipped
 * rather than shared by every visitor.
 */
export function clientAddressFrom(headers: { get(name: string): string | null } | Record<string, unknown> | undefined): string | null {
  const raw = headers && "get" in headers && typeof headers.get === "function"
    ? headers.get("x-forwarded-for")
    : (headers as Record<string, unknown> | undefined)?.["x-forwarded-for"];
  return (typeof raw === "string" ? raw.split(",")[0]?.trim() : undefined) || null;
}

/** Turns a typed error into the plain Error next-auth passes back to signIn() as `error`. */
async function credentialsError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TRPCError) throw new Error(error.message);
    throw error;
  }
}

export const authOptions: NextAuthOptions = {
  secret: authSecret(),
  session: { strategy: "jwt" },
  pages: { signIn: "/sign-in", error: "/sign-in" },
  providers: [
    CredentialsProvider({
      id: "password",
      name: "Email and password",
      credentials: { email: { type: "email" }, password: { type: "password" } },
      authorize: (credentials, req) =>
        credentialsError(async () => {
          const parsed = signInInput.safeParse(credentials);
          if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "Enter your email and password.");
          const limits = {
            maxAttempts: env.AUTH_MAX_ATTEMPTS,
            maxAttemptsPerAddress: env.AUTH_MAX_ATTEMPTS_PER_ADDRESS,
            windowSeconds: env.AUTH_ATTEMPT_WINDOW_SECONDS,
          };
          const user = await signInWithPassword(getDb(), limits, parsed.data, clientAddressFrom(req.headers));
          return { id: user.id, name: user.name, email: user.email };
        }),
    }),
    CredentialsProvider({
      id: "siwe",
      name: "Ethereum wallet",
      credentials: { message: { type: "text" }, signature: { type: "text" } },
      authorize: (credentials) =>
        credentialsError(async () => {
          const parsed = siweSignedInput.safeParse(credentials);
          if (!parsed.success) throw new Error("The wallet did not return a signed sign-in message. Try again.");
          const user = await signInWithWallet(getDb(), { appUrl: env.APP_URL, chainIds: env.SIWE_CHAIN_IDS }, parsed.data);
          return { id: user.id, name: user.name, email: user.email };
        }),
    }),
  ],
  callbacks: {
    session({ session, token }) {
      return { ...session, user: { ...session.user, id: token.sub } };
    },
  },
};

/** The signed-in user's id, or null. */
export async function currentUserId(): Promise<string | null> {
  const session = await getServerSession(authOptions);
  return (session?.user as { id?: string } | undefined)?.id ?? null;
}
