import type { Metadata } from "next";
import { AreaPlaceholder } from "@/components/area-placeholder";

export const metadata: Metadata = { title: "Datanets" };

export default function Page() {
  return <AreaPlaceholder area="datanets" />;
}
