import type { Metadata } from "next";
import { AboutPanel } from "@/components/datanets/detail/about-panel";
import { loadDatanet } from "@/components/datanets/detail/load-datanet";

export const metadata: Metadata = { title: "About" };

export default async function DatanetAboutPage({ params }: PageProps<"/[org]/datanets/[datanet]/about">) {
  const { org: orgSlug, datanet: datanetSlug } = await params;
  // A missing Datanet is reported by the layout, which then does not render this page.
  const datanet = await loadDatanet(orgSlug, datanetSlug);
  return datanet && <AboutPanel datanet={datanet} />;
}
