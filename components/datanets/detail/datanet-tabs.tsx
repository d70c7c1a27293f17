"use client";
// The Datanet's sections as sub-pages; Review is listed only for owners and admins, and
// Contribute only for those who may upload.
import { usePathname } from "next/navigation";
import { TabLinks } from "@/components/ui";

interface Props {
  orgSlug: string;
  datanetSlug: string;
  canReview: boolean;
  canContribute: boolean;
}

export function DatanetTabs({ orgSlug, datanetSlug, canReview, canContribute }: Props) {
  const base = `/${orgSlug}/datanets/${datanetSlug}`;
  const items = [
    { href: base, label: "Records" },
    ...(canContribute ? [{ href: `${base}/contribute`, label: "Contribute" }] : []),
    ...(canReview ? [{ href: `${base}/review`, label: "Review" }] : []),
    { href: `${base}/versions`, label: "Versions" },
    { href: `${base}/contributors`, label: "Contributors" },
    { href: `${base}/attribution`, label: "Attribution" },
    { href: `${base}/about`, label: "About" },
  ];
  return <TabLinks label="Datanet sections" activeHref={usePathname()} items={items} />;
}
