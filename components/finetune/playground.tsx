"use client";
// The playground: one prompt answered by the base model and a tuned version side by side. While a
// serving worker holds the base model, the question goes through the gateway as API callers' do
// (under the version's deployment when it has one); otherwise it is a high-priority job a worker
// runs, whose answer is polled every second until it ends.
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent, type KeyboardEvent } from "react";
import { formatCount } from "@/components/datanets/detail/format";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Input, Select, Spinner, Textarea } from "@/components/ui";
import { elapsed } from "./format";
import { fieldMessages } from "./field-messages";

type Props = {
  orgSlug: string;
  modelSlug: string;
  versions: number[];
  defaultVersion: number;
  baseName: string;
  /** Whether an online worker can load the base model now. */
  available: boolean | undefined;
  /** The ready deployment of `defaultVersion`, asked under its name. */
  deployment: { id: string; name: string } | null;
  /** Online serving workers with the base model: any, and questions go through the gateway. */
  servingWorkers: number | undefined;
};

const fields = ["maxTokens", "temperature", "messages"] as const;
type Output = { variant: string; text: string; promptTokens: number; completionTokens: number; seconds: number };

function Answer({ title, note, output, waiting }: { title: string; note?: string; output: Output | undefined; waiting: string | null }) {
  const id = `answer-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <section aria-labelledby={id} className="flex min-w-0 flex-col rounded-control border border-gray-200">
      <header className="flex items-baseline justify-between gap-2 border-b border-gray-200 bg-gray-50 px-3 py-2">
        <h3 id={id} className="text-sm font-semibold text-gray-900">{title}</h3>
        {note && <span className="text-xs text-gray-600">{note}</span>}
      </header>
      <div className="min-h-24 flex-1 px-3 py-3 text-sm whitespace-pre-wrap text-gray-900 [overflow-wrap:anywhere]">
        {output ? output.text || <span className="text-gray-600 italic">(empty answer)</span> : waiting && <span className="flex items-center gap-2 text-gray-600"><Spinner />{waiting}</span>}
      </div>
      {output && (
        <p className="border-t border-gray-200 px-3 py-2 text-xs text-gray-600 tabular-nums">
          {formatCount(output.promptTokens)} prompt tokens · {formatCount(output.completionTokens)} answer tokens · {elapsed(output.seconds)}
        </p>
      )}
    </section>
  );
}

export function Playground({ orgSlug, modelSlug, versions, defaultVersion, baseName, available, deployment, servingWorkers }: Props) {
  const trpc = useTRPC();
  const [version, setVersion] = useState(defaultVersion);
  const [system, setSystem] = useState("");
  const [prompt, setPrompt] = useState("");
  const [maxTokens, setMaxTokens] = useState("128");
  const [temperature, setTemperature] = useState("0");
  const [asked, setAsked] = useState<{ jobId: string; version: number } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const ask = useMutation(trpc.finetune.ask.mutationOptions());
  const askGateway = useMutation(trpc.deployments.ask.mutationOptions());
  const [gatewayOutputs, setGatewayOutputs] = useState<Output[] | null>(null);
  const viaGateway = deployment !== null || (servingWorkers ?? 0) > 0;
  const deployed = version === defaultVersion ? deployment : null;
  const answer = useQuery({
    ...trpc.finetune.answer.queryOptions({ orgSlug, jobId: asked?.jobId ?? "" }),
    enabled: asked !== null,
    refetchInterval: (query) => (["succeeded", "failed", "cancelled"].includes(query.state.data?.status ?? "") ? false : 1000),
  });
  const errors = fieldMessages(problem ?? "", fields);

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    setProblem(null);
    if (!prompt.trim()) {
      setProblem("messages: Write a prompt first.");
      return;
    }
    const messages = [...(system.trim() ? [{ role: "system" as const, content: system }] : []), { role: "user" as const, content: prompt }];
    try {
      if (viaGateway) {
        setAsked(null);
        setGatewayOutputs(null);
        const answered = await askGateway.mutateAsync({ orgSlug, modelSlug, versionNumber: version, messages, maxTokens: Number(maxTokens), temperature: Number(temperature), deploymentId: deployed?.id });
        setGatewayOutputs(answered.outputs);
        return;
      }
      const { jobId } = await ask.mutateAsync({ orgSlug, modelSlug, versionNumber: version, messages, maxTokens: Number(maxTokens), temperature: Number(temperature) });
      setAsked({ jobId, version });
    } catch (error) {
      setProblem(serverErrors(error).message);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) void submit();
  }

  const status = answer.data?.status;
  const done = status === "succeeded";
  const waiting =
    asked === null || done || status === "failed" || status === "cancelled"
      ? null
      : status === "running"
        ? "Generating…"
        : `Waiting for a worker that can load ${baseName}…`;
  const output = (variant: string) => (gatewayOutputs ?? (done ? answer.data?.outputs : undefined))?.find((o) => o.variant === variant);

  return (
    <div className="space-y-4">
      <form onSubmit={submit} noValidate className="space-y-3">
        <Textarea label="Prompt" rows={4} value={prompt} onChange={(e) => setPrompt(e.target.value)} onKeyDown={onKeyDown} error={errors.fields.messages} placeholder="Ask something your Datanet covers…" hint="Ctrl+Enter asks." />
        <details className="group rounded-control border border-gray-200 px-3 py-2">
          <summary className="cursor-pointer text-sm font-medium text-gray-900">System message and sampling</summary>
          <div className="mt-3 space-y-3 pb-1">
            <Textarea label="System message (optional)" rows={2} value={system} onChange={(e) => setSystem(e.target.value)} hint="Instructions both models get before your prompt." />
            <div className="grid gap-3 sm:grid-cols-3">
              {versions.length > 1 && (
                <Select label="Tuned version" value={version} onChange={(e) => setVersion(Number(e.target.value))}>
                  {versions.map((v) => <option key={v} value={v}>v{v}</option>)}
                </Select>
              )}
              <Input label="Max tokens" type="number" inputMode="numeric" min={1} max={1024} value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} error={errors.fields.maxTokens} hint="Longest answer, 1 to 1024." />
              <Input label="Temperature" type="number" inputMode="decimal" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(e.target.value)} error={errors.fields.temperature} hint="0 always picks the likeliest word; higher varies more." />
            </div>
          </div>
        </details>
        <FormAlert message={errors.rest || null} />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" loading={ask.isPending || askGateway.isPending || waiting !== null}>Ask</Button>
          {available === false && !viaGateway && (
            <p className="text-sm text-warning-800">
              No online worker can load {baseName} right now; questions wait until one connects (<Link href={`/${orgSlug}/workers`} className="underline">Workers</Link>).
            </p>
          )}
        </div>
      </form>
      {(asked || gatewayOutputs || askGateway.isPending) && (
        <div aria-live="polite" className="space-y-3">
          {(status === "failed" || status === "cancelled") && <FormAlert message={answer.data?.error ?? "The worker could not answer. Try again."} />}
          {answer.error && <FormAlert message={serverErrors(answer.error).message} />}
          <div className="grid gap-3 md:grid-cols-2">
            <Answer title="Base model" note={baseName} output={output("base")} waiting={askGateway.isPending ? "Generating…" : waiting} />
            <Answer title="Tuned model" note={deployed ? `version ${version} · ${deployed.name}` : `version ${asked?.version ?? version}`} output={output("tuned")} waiting={askGateway.isPending ? "Generating…" : waiting} />
          </div>
        </div>
      )}
    </div>
  );
}
