import { PageHeader } from "@/components/page-header";
import { ApiKeysTabs } from "@/components/serving/api-keys-tabs";

export default async function ApiKeysLayout({ children, params }: LayoutProps<"/[org]/api-keys">) {
  const { org } = await params;
  return (
    <>
      <PageHeader
        title="API keys"
        description="Apps call your deployed models through an OpenAI-compatible API with these keys. Each key can be limited to some deployments, a number of requests and tokens per minute, and a lifetime."
      />
      <ApiKeysTabs orgSlug={org} />
      <div className="mt-6 space-y-6">{children}</div>
    </>
  );
}
