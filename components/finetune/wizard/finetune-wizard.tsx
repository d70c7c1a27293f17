"use client";
// The fine-tune wizard: Datanet versions → base model → task → review and launch. From the
// task step on, finetune.plan checks the choice and estimates the run; changing an advanced
// setting asks again (debounced). Launch opens the new run's page.
import { keepPreviousData, skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { Stepper } from "@/components/datanets/wizard/stepper";
import { serverErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, CardBody, CardFooter, CardHeader, Spinner, useToast } from "@/components/ui";
import { fieldMessages } from "../field-messages";
import type { TaskTemplate } from "../types";
import { parseOverrides, type Overrides } from "./advanced-settings";
import { StepBaseModel } from "./step-base-model";
import { StepData } from "./step-data";
import { StepReview, type Target } from "./step-review";
import { StepTask } from "./step-task";

const STEPS = ["Data", "Base model", "Task", "Review & launch"] as const;
const TASK = 2;
const REVIEW = 3;
const stepDescriptions = [
  "The examples the model learns from: published versions of Datanets.",
  "The model your adapter is trained on top of.",
  "How each record becomes a training example.",
  "Name the result, check the plan, and launch.",
] as const;

const hyperparameterPaths = [
  "epochs", "learningRate", "batchSize", "maxLength", "loraRank", "loraAlpha", "loraDropout", "targetModules", "warmupRatio", "evalFraction", "gradientCheckpointing", "packing", "seed",
].map((k) => `hyperparameters.${k}`);
const knownFields = [...hyperparameterPaths, "modelName", "modelSlug"];

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

type Props = { orgSlug: string; preselectedVersion?: string; modelSlug?: string };

export function FinetuneWizard({ orgSlug, preselectedVersion, modelSlug }: Props) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const datasets = useQuery(trpc.finetune.datasets.queryOptions({ orgSlug }));
  const catalog = useQuery(trpc.finetune.catalog.queryOptions({ orgSlug }));
  const models = useQuery(trpc.finetune.models.queryOptions({ orgSlug }));
  const existing = models.data?.find((m) => m.slug === modelSlug);

  const [step, setStep] = useState(0);
  const [picked, setPicked] = useState<string[]>(preselectedVersion ? [preselectedVersion] : []);
  const [baseModel, setBaseModel] = useState<string | null>(null);
  const [template, setTemplate] = useState<TaskTemplate | null>(null);
  const [target, setTarget] = useState<Target>(modelSlug ? { kind: "existing", slug: modelSlug } : { kind: "new", name: "" });
  const [overrides, setOverrides] = useState<Overrides>({});
  const [stepError, setStepError] = useState<string | null>(null);
  const [launchError, setLaunchError] = useState<string | null>(null);
  const launch = useMutation(trpc.finetune.launch.mutationOptions());

  const versions = datasets.data ?? [];
  const pickedVersions = versions.filter((v) => picked.includes(v.versionId));
  const chosenBase = baseModel ?? existing?.baseModel ?? null;
  const suggested: TaskTemplate = pickedVersions[0]?.recordFormat ?? "chat";
  const chosenTemplate = template ?? suggested;
  const { values: hyperparameters, invalid } = parseOverrides(overrides);
  // Debounced as text: a new object every render would restart the timer forever.
  const debouncedHp = JSON.parse(useDebounced(JSON.stringify(hyperparameters), 400)) as typeof hyperparameters;
  const pickedIds = pickedVersions.map((v) => v.versionId);
  const planBase = step >= TASK && chosenBase && pickedIds.length > 0 ? { orgSlug, baseModel: chosenBase, datanetVersionIds: pickedIds, taskTemplate: chosenTemplate } : null;
  const defaults = useQuery(trpc.finetune.plan.queryOptions(planBase ?? skipToken));
  const plan = useQuery({
    ...trpc.finetune.plan.queryOptions(planBase && Object.keys(invalid).length === 0 ? { ...planBase, hyperparameters: debouncedHp } : skipToken),
    placeholderData: keepPreviousData,
  });
  const planError = plan.error ?? defaults.error;
  const planMessages = fieldMessages(planError ? serverErrors(planError).message : "", knownFields);
  const launchMessages = fieldMessages(launchError ?? "", knownFields);
  const errors = { ...planMessages.fields, ...launchMessages.fields, ...invalid };
  const sameBase = (models.data ?? []).filter((m) => m.baseModel === chosenBase);

  if (datasets.isError || catalog.isError) return <FormAlert message={serverErrors(datasets.error ?? catalog.error).message} />;
  if (!datasets.data || !catalog.data || !models.data) {
    return <p className="flex items-center gap-2 text-sm text-gray-600"><Spinner /> Loading your Datanets and the base models…</p>;
  }

  function goTo(target: number) {
    setStepError(null);
    setLaunchError(null);
    setStep(target);
  }

  function next() {
    if (step === 0 && pickedIds.length === 0) return setStepError("Pick at least one Datanet version.");
    if (step === 1 && !chosenBase) return setStepError("Pick a base model.");
    if (step === TASK && planError) return setStepError(planMessages.rest || "Fix the problem above first.");
    goTo(step + 1);
  }

  async function submit() {
    if (!planBase) return;
    setLaunchError(null);
    if (Object.keys(invalid).length > 0) return setLaunchError("Some advanced settings are not numbers; fix them first.");
    try {
      const launched = await launch.mutateAsync({
        ...planBase,
        hyperparameters,
        ...(target.kind === "new" ? { modelName: target.name.trim() } : { modelSlug: target.slug }),
      });
      await queryClient.invalidateQueries({ queryKey: trpc.finetune.pathKey() });
      toast({ title: "Fine-tune launched", description: "It starts as soon as a worker picks it up.", variant: "success" });
      router.push(`/${orgSlug}/models/${launched.modelSlug}/runs/${launched.id}`);
    } catch (error) {
      setLaunchError(serverErrors(error).message);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (step === REVIEW) void submit();
    else next();
  }

  const alert = step === REVIEW ? [planMessages.rest, launchMessages.rest].filter(Boolean).join(" ") : step === TASK ? planMessages.rest || stepError : stepError;
  return (
    <>
      <Stepper steps={STEPS} current={step} />
      <form onSubmit={onSubmit} noValidate>
        <Card>
          <CardHeader title={`${step + 1}. ${STEPS[step]}`} description={stepDescriptions[step]} />
          <CardBody className="space-y-4">
            {step === 0 && <StepData orgSlug={orgSlug} versions={versions} picked={pickedIds} onChange={(ids) => { setPicked(ids); setStepError(null); }} />}
            {step === 1 && <StepBaseModel catalog={catalog.data} value={chosenBase} onChange={(id) => { setBaseModel(id); setStepError(null); }} lockedTo={existing?.baseModel ?? null} />}
            {step === TASK && <StepTask value={chosenTemplate} onChange={setTemplate} suggested={suggested} />}
            {step === REVIEW && (
              <StepReview
                target={target}
                setTarget={setTarget}
                models={sameBase}
                picked={pickedVersions}
                base={catalog.data.find((m) => m.id === chosenBase)}
                template={chosenTemplate}
                plan={plan.isError ? undefined : plan.data}
                planning={plan.isFetching}
                defaults={defaults.data?.hyperparameters}
                overrides={overrides}
                setOverrides={setOverrides}
                errors={errors}
                goTo={goTo}
              />
            )}
            <FormAlert message={alert || null} />
          </CardBody>
          <CardFooter>
            {step > 0 && <Button variant="secondary" onClick={() => goTo(step - 1)}>Back</Button>}
            {(step > 0 || versions.length > 0) && (
              <Button type="submit" loading={launch.isPending}>{step === REVIEW ? "Launch fine-tune" : "Next"}</Button>
            )}
          </CardFooter>
        </Card>
      </form>
    </>
  );
}
