import type { Metadata } from "next";
import { AccountForms } from "@/components/settings/account-forms";
import { WalletLink } from "@/components/settings/wallet-link";
import { getCaller } from "@/components/trpc/server";
import { walletSettings } from "@/server/chain/wallet-settings";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  const me = await (await getCaller()).account.me();
  return (
    <>
      <AccountForms me={me} />
      <WalletLink walletAddress={me.walletAddress} settings={walletSettings()} />
    </>
  );
}
