"use client";
// Connect a wallet (RainbowKit), fetch a Sign-In with Ethereum message built by the
// server, have the wallet sign it, and hand message + signature to `onSigned`.
import { ConnectButton } from "@rainbow-me/rainbowkit";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useAccount, useSignMessage } from "wagmi";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui";
import { FormAlert } from "@/components/forms/form-alert";
import { serverErrors } from "@/components/forms/errors";

interface SiweButtonProps {
  label: string;
  /** Throws with a readable message if the server refuses the signed message. */
  onSigned(signed: { message: string; signature: string }): Promise<void>;
}

export function SiweButton({ label, onSigned }: SiweButtonProps) {
  const trpc = useTRPC();
  const { address, chainId, isConnected } = useAccount();
  const { signMessageAsync } = useSignMessage();
  const challenge = useMutation(trpc.account.siweChallenge.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function run() {
    if (!address || !chainId) return;
    setPending(true);
    setError(null);
    try {
      const { message } = await challenge.mutateAsync({ address, chainId });
      const signature = await signMessageAsync({ message });
      await onSigned({ message, signature });
    } catch (cause) {
      const rejected = cause instanceof Error && /reject|denied/i.test(cause.message);
      setError(rejected ? "You declined the signature in your wallet. Nothing was changed." : serverErrors(cause).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <div className="space-y-3">
      <ConnectButton label="Connect a wallet" showBalance={false} chainStatus="icon" accountStatus="address" />
      {isConnected && (
        <Button variant="secondary" className="w-full" loading={pending} onClick={run}>
          {label}
        </Button>
      )}
      <FormAlert message={error} />
    </div>
  );
}
