"use client";
import { usePathname } from "next/navigation";
import { TabLinks } from "@/components/ui";

export function ApiKeysTabs({ orgSlug }: { orgSlug: string }) {
  const base = `/${orgSlug}/api-keys`;
  return (
    <TabLinks
      label="API sections"
      activeHref={usePathname()}
      items={[
        { href: base, label: "Keys and usage" },
        { href: `${base}/quickstart`, label: "Call the API" },
      ]}
    />
  );
}
