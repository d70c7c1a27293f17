import { requireOrg } from "@/components/shell/current-org";
import type { Metadata } from "next";
import { OrgDangerZone } from "@/components/settings/org-danger-zone";
import { OrgGeneralForm } from "@/components/settings/org-general-form";
import { Card, CardBody, CardHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Organization settings" };

export default async function OrgSettingsPage({ params }: PageProps<"/[org]/settings">) {
  const { org: orgSlug } = await params;
  const org = await requireOrg(orgSlug);
  const canEdit = org.role === "owner" || org.role === "admin";
  return (
    <>
      <Card>
        <CardHeader title="Organization" description={canEdit ? "Name and web address." : "Only owners and admins can change these."} />
        <CardBody>
          {canEdit ? (
            <OrgGeneralForm org={org} />
          ) : (
            <dl className="grid gap-3 text-sm sm:grid-cols-[10rem_1fr]">
              <dt className="text-gray-600">Name</dt>
              <dd className="font-medium text-gray-900">{org.name}</dd>
              <dt className="text-gray-600">Address</dt>
              <dd className="font-medium text-gray-900">/{org.slug}</dd>
            </dl>
          )}
        </CardBody>
      </Card>
      <OrgDangerZone org={org} />
    </>
  );
}
