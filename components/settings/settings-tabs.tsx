"use client";
import { usePathname } from "next/navigation";
import { TabLinks } from "@/components/ui";

export function SettingsTabs({ orgSlug }: { orgSlug: string }) {
  const base = `/${orgSlug}/settings`;
  return (
    <TabLinks
      label="Settings sections"
      activeHref={usePathname()}
      items={[
        { href: base, label: "General" },
        { href: `${base}/members`, label: "Members" },
        { href: `${base}/account`, label: "Your account" },
      ]}
    />
  );
}
