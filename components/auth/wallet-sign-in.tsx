"use client";
// "Sign in with Ethereum" on the sign-in page, through next-auth's "siwe" provider.
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { SiweButton } from "@/components/wallet/siwe-button";
import { WalletProviders, type WalletSettings } from "@/components/wallet/wallet-providers";

export function WalletSignIn({ settings, next }: { settings: WalletSettings; next: string }) {
  const router = useRouter();
  return (
    <WalletProviders settings={settings}>
      <SiweButton
        label="Sign in with Ethereum"
        onSigned={async (signed) => {
          const result = await signIn("siwe", { ...signed, redirect: false });
          if (!result || result.error) throw new Error(result?.error ?? "Wallet sign-in failed. Try again.");
          router.replace(next);
          router.refresh();
        }}
      />
    </WalletProviders>
  );
}
