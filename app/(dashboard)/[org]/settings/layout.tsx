import { PageHeader } from "@/components/page-header";
import { SettingsTabs } from "@/components/settings/settings-tabs";

export default async function SettingsLayout({ children, params }: LayoutProps<"/[org]/settings">) {
  const { org } = await params;
  return (
    <>
      <PageHeader title="Settings" description="Your organization, its members, and your own account." />
      <SettingsTabs orgSlug={org} />
      <div className="mt-6 space-y-6">{children}</div>
    </>
  );
}
