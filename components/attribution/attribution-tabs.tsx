"use client";
// The Attribution area's sections; a model's or an inference's page keeps "Models" marked.
import { usePathname } from "next/navigation";
import { TabLinks } from "@/components/ui";

export function AttributionTabs({ orgSlug }: { orgSlug: string }) {
  const base = `/${orgSlug}/attribution`;
  const pathname = usePathname();
  const items = [
    { href: base, label: "My earnings" },
    { href: `${base}/models`, label: "Models" },
  ];
  const active = pathname.startsWith(`${base}/models`) || pathname.startsWith(`${base}/inferences`) ? `${base}/models` : pathname;
  return <TabLinks label="Attribution sections" activeHref={active} items={items} />;
}
