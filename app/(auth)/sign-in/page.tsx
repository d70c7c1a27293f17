import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { WalletSignIn } from "@/components/auth/wallet-sign-in";
import { safeNext } from "@/components/auth/safe-next";
import { Card, CardBody } from "@/components/ui";
import { currentUserId } from "@/server/auth/options";
import { walletSettings } from "@/server/chain/wallet-settings";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: PageProps<"/sign-in">) {
  const params = await searchParams;
  const next = safeNext(params.next);
  if (await currentUserId()) redirect(next);
  return (
    <Card>
      <CardBody className="space-y-6">
        <div>
          <h1 className="text-xl font-semibold text-gray-900">Sign in to Tributary</h1>
          <p className="mt-1 text-sm text-gray-600">
            New here?{" "}
            <Link className="font-medium text-brand-700 underline" href={`/sign-up${params.next ? `?next=${encodeURIComponent(next)}` : ""}`}>
              Create an account
            </Link>
          </p>
        </div>
        <SignInForm next={next} />
        <div className="flex items-center gap-3 text-xs text-gray-600" aria-hidden="true">
          <span className="h-px flex-1 bg-gray-200" /> or use your wallet <span className="h-px flex-1 bg-gray-200" />
        </div>
        <WalletSignIn settings={walletSettings()} next={next} />
      </CardBody>
    </Card>
  );
}
