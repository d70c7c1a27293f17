"use client";
// How to call a deployment: curl, JavaScript and Python (the official `openai` clients) with
// this server's base URL and the chosen deployment's name as `model`, each with a copy button.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge, Card, CardBody, CardHeader, CopyButton, Select, Tabs } from "@/components/ui";

const PLACEHOLDER_MODEL = "your-deployment";
const KEY_VARIABLE = "TRIBUTARY_API_KEY";

export function snippets(baseUrl: string, model: string) {
  const curl = [
    `curl ${baseUrl}/chat/completions \\`,
    `  -H "Authorization: Bearer $${KEY_VARIABLE}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{`,
    `    "model": "${model}",`,
    `    "messages": [{"role": "user", "content": "Hello!"}]`,
    `  }'`,
  ].join("\n");
  const javascript = [
    `import OpenAI from "openai";`,
    ``,
    `const client = new OpenAI({`,
    `  baseURL: "${baseUrl}",`,
    `  apiKey: process.env.${KEY_VARIABLE},`,
    `});`,
    ``,
    `const completion = await client.chat.completions.create({`,
    `  model: "${model}",`,
    `  messages: [{ role: "user", content: "Hello!" }],`,
    `});`,
    `console.log(completion.choices[0].message.content);`,
  ].join("\n");
  const python = [
    `import os`,
    `from openai import OpenAI`,
    ``,
    `client = OpenAI(`,
    `    base_url="${baseUrl}",`,
    `    api_key=os.environ["${KEY_VARIABLE}"],`,
    `)`,
    ``,
    `completion = client.chat.completions.create(`,
    `    model="${model}",`,
    `    messages=[{"role": "user", "content": "Hello!"}],`,
    `)`,
    `print(completion.choices[0].message.content)`,
  ].join("\n");
  return { curl, javascript, python };
}

function Snippet({ code, what, install }: { code: string; what: string; install?: string }) {
  return (
    <div className="space-y-2">
      <div className="flex min-h-8 flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-gray-700">
          {install ? (
            <>Install the client: <code className="rounded bg-gray-100 px-1.5 py-0.5 font-mono text-xs">{install}</code></>
          ) : (
            "From a shell, with the key in the environment:"
          )}
        </p>
        <CopyButton value={code} what={what} />
      </div>
      <pre aria-label={what} className="overflow-x-auto rounded-control bg-gray-900 px-3 py-2.5 font-mono text-xs leading-relaxed text-gray-50">
        {code}
      </pre>
    </div>
  );
}

export function ApiSnippets({ orgSlug, baseUrl }: { orgSlug: string; baseUrl: string }) {
  const trpc = useTRPC();
  const deployments = useQuery(trpc.deployments.list.queryOptions({ orgSlug }));
  const list = deployments.data ?? [];
  const [picked, setPicked] = useState<string | null>(null);
  // Until one is picked: the first ready deployment, else the first of any state.
  const model = picked ?? list.find((d) => d.status === "ready")?.name ?? list[0]?.name ?? PLACEHOLDER_MODEL;
  const chosen = list.find((d) => d.name === model);
  const code = snippets(baseUrl, model);

  return (
    <Card>
      <CardHeader
        title="Call the API"
        description={
          <>
            The API speaks OpenAI&apos;s wire format, so the official OpenAI clients work unchanged: point them at this base URL, pass a key from the{" "}
            <Link href={`/${orgSlug}/api-keys`} className="font-medium text-brand-700 underline hover:text-brand-800">Keys</Link> tab, and name a deployment as
            the model. Put the key in the <code className="font-mono text-xs">{KEY_VARIABLE}</code> environment variable rather than in the code.
          </>
        }
      />
      <CardBody className="space-y-5">
        <div className="grid gap-4 sm:grid-cols-2">
          <div className="flex flex-col gap-1.5">
            <span className="text-sm font-medium text-gray-900">Base URL</span>
            <div className="flex items-center gap-2">
              <code className="flex h-10 min-w-0 flex-1 items-center truncate rounded-control border border-gray-300 bg-gray-50 px-3 font-mono text-xs" title={baseUrl}>{baseUrl}</code>
              <CopyButton value={baseUrl} what="base URL" />
            </div>
          </div>
          {list.length > 0 ? (
            <Select label="Deployment (model)" value={model} onChange={(e) => setPicked(e.target.value)} hint={chosen && chosen.status !== "ready" ? `This deployment is ${chosen.status}; calls succeed once it is ready.` : undefined}>
              {list.map((d) => <option key={d.id} value={d.name}>{d.name}{d.status === "ready" ? "" : ` (${d.status})`}</option>)}
            </Select>
          ) : (
            deployments.data && (
              <div className="flex flex-col gap-1.5 text-sm">
                <span className="font-medium text-gray-900">Deployment (model)</span>
                <p className="text-gray-600">
                  <Badge variant="warning">None yet</Badge>{" "}
                  <Link href={`/${orgSlug}/deployments`} className="font-medium text-brand-700 underline hover:text-brand-800">Deploy a model version</Link>; its name goes where the
                  snippets say <code className="font-mono text-xs">{PLACEHOLDER_MODEL}</code>.
                </p>
              </div>
            )
          )}
        </div>
        <Tabs
          label="Snippet language"
          items={[
            { id: "curl", label: "curl", content: <Snippet code={code.curl} what="curl command" /> },
            { id: "javascript", label: "JavaScript", content: <Snippet code={code.javascript} what="JavaScript example" install="npm install openai" /> },
            { id: "python", label: "Python", content: <Snippet code={code.python} what="Python example" install="pip install openai" /> },
          ]}
        />
        <p className="text-sm text-gray-600">
          Streaming works as with OpenAI (<code className="font-mono text-xs">stream: true</code>), and <code className="font-mono text-xs">GET {baseUrl}/models</code> lists
          the deployments a key may call. Over its limits a key gets a 429 with <code className="font-mono text-xs">Retry-After</code>; a revoked or expired key gets a 401.
        </p>
      </CardBody>
    </Card>
  );
}
