"use client";
// The linked wallet (the payout address): link one by signing a SIWE message, or unlink it.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { serverErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, CardBody, CardHeader, useToast } from "@/components/ui";
import { SiweButton } from "@/components/wallet/siwe-button";
import { WalletProviders, type WalletSettings } from "@/components/wallet/wallet-providers";

export function WalletLink({ walletAddress, settings }: { walletAddress: string | null; settings: WalletSettings }) {
  const trpc = useTRPC();
  const router = useRouter();
  const { toast } = useToast();
  const link = useMutation(trpc.account.linkWallet.mutationOptions());
  const unlink = useMutation(
    trpc.account.unlinkWallet.mutationOptions({
      onSuccess: () => router.refresh(),
      onError: (error) => toast({ title: "Wallet not unlinked", description: serverErrors(error).message, variant: "error" }),
    }),
  );
  return (
    <Card>
      <CardHeader title="Wallet" description="Your payout address for attribution rewards, and a way to sign in." />
      <CardBody className="space-y-4">
        {walletAddress ? (
          <div className="flex flex-wrap items-center justify-between gap-3">
            <code className="break-all rounded-control bg-gray-100 px-2 py-1 text-sm">{walletAddress}</code>
            <Button variant="secondary" loading={unlink.isPending} onClick={() => unlink.mutate()}>Unlink wallet</Button>
          </div>
        ) : (
          <div className="max-w-sm">
            <WalletProviders settings={settings}>
              <SiweButton
                label="Link this wallet"
                onSigned={async (signed) => {
                  await link.mutateAsync(signed);
                  toast({ title: "Wallet linked", variant: "success" });
                  router.refresh();
                }}
              />
            </WalletProviders>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
