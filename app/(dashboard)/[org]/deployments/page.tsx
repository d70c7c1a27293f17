import type { Metadata } from "next";
import { AreaPlaceholder } from "@/components/area-placeholder";

export const metadata: Metadata = { title: "Deployments" };

export default function Page() {
  return <AreaPlaceholder area="deployments" />;
}
