"use client";
// The Datanet creation wizard. The first Next creates a draft and puts ?draft=<slug> in the
// address; every Next saves the step's fields and the step reached, so leaving and coming
// back (from the list's "Continue setup") resumes where the user was.
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { serverErrors, type ServerErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, CardBody, CardFooter, CardHeader, EmptyState, Spinner, buttonClasses, useToast } from "@/components/ui";
import { DiscardDraft } from "./discard-draft";
import { emptyValues, valuesOf, type Datanet, type WizardValues } from "./fields";
import { StepAccess } from "./step-access";
import { StepBasics } from "./step-basics";
import { StepLicense } from "./step-license";
import { StepReview } from "./step-review";
import { StepUpload } from "./step-upload";
import { Stepper } from "./stepper";
import { withTag } from "./tag-input";

const STEPS = ["Basics", "License", "Access & format", "First upload", "Review & create"] as const;
const UPLOAD = 3;
const REVIEW = 4;

const stepDescriptions = [
  "What the data is about, so contributors and model builders find it.",
  "The terms contributors agree to and anyone training on the data must follow.",
  "Who can see it, what each record looks like, and how contributions are accepted.",
  "Optional: add the first files now, or skip and add them later.",
  "Check everything, then make the Datanet live.",
] as const;

export function DatanetWizard({ orgSlug, draftSlug }: { orgSlug: string; draftSlug?: string }) {
  const trpc = useTRPC();
  // The draft the page was opened with. A draft created here changes the address but not this,
  // so the wizard keeps its state instead of starting over from the server's copy.
  const [openedWith] = useState(draftSlug);
  const draft = useQuery(trpc.datanets.get.queryOptions(openedWith ? { orgSlug, datanetSlug: openedWith } : skipToken));
  if (!openedWith) return <Wizard orgSlug={orgSlug} draftInUrl={draftSlug} initial={null} />;
  if (draft.isError) {
    return (
      <EmptyState
        title="This draft cannot be opened"
        description={serverErrors(draft.error).message}
        action={<Link href={`/${orgSlug}/datanets/new`} className={buttonClasses()}>Start a new Datanet</Link>}
      />
    );
  }
  if (!draft.data) {
    return <p className="flex items-center gap-2 text-sm text-gray-600"><Spinner /> Loading your draft…</p>;
  }
  return <Wizard orgSlug={orgSlug} draftInUrl={draftSlug} initial={draft.data} />;
}

type WizardProps = { orgSlug: string; draftInUrl: string | undefined; initial: Datanet | null };

function Wizard({ orgSlug, draftInUrl, initial }: WizardProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [values, setValues] = useState<WizardValues>(initial ? valuesOf(initial) : emptyValues);
  const [saved, setSaved] = useState<Datanet | null>(initial);
  const [step, setStep] = useState(initial ? Math.min(Math.max(initial.draftStep, 0), REVIEW) : 0);
  const [pendingTag, setPendingTag] = useState("");
  const [errors, setErrors] = useState<ServerErrors | null>(null);
  const createDraft = useMutation(trpc.datanets.createDraft.mutationOptions());
  const saveDraft = useMutation(trpc.datanets.saveDraft.mutationOptions());
  const activate = useMutation(trpc.datanets.activate.mutationOptions());
  // Records so far, for the upload and review steps; refreshed by every import.
  const list = useQuery({ ...trpc.datanets.list.queryOptions({ orgSlug }), enabled: step >= UPLOAD });
  const row = list.data?.find((d) => d.id === saved?.id);
  const counts = row ? { records: row.records, pending: row.pending } : null;

  const set = (patch: Partial<WizardValues>) => setValues((current) => ({ ...current, ...patch }));
  const fields = errors?.fields ?? {};
  const live = saved?.status === "active";

  function remember(datanet: Datanet | null): Datanet {
    if (!datanet) throw new Error("This Datanet was deleted in the meantime. Start a new one.");
    setSaved(datanet);
    queryClient.setQueryData(trpc.datanets.get.queryKey({ orgSlug, datanetSlug: datanet.slug }), datanet);
    return datanet;
  }

  function stepFields() {
    if (step === 0) return { name: values.name, summary: values.summary, description: values.description, tags: withTag(values.tags, pendingTag) };
    if (step === 1) return { license: values.license, licenseText: values.license === "custom" ? values.licenseText : null };
    if (step === 2) return { visibility: values.visibility, recordFormat: values.recordFormat, contributionPolicy: values.contributionPolicy };
    return {};
  }

  async function next() {
    setErrors(null);
    if (step === 1 && values.license === "custom" && !values.licenseText.trim()) {
      setErrors({ message: "", fields: { licenseText: "Paste the license text, or pick one of the listed licenses." } });
      return;
    }
    try {
      const slug = saved?.slug ?? remember(await createDraft.mutateAsync({ orgSlug, name: values.name })).slug;
      const updated = remember(await saveDraft.mutateAsync({ orgSlug, datanetSlug: slug, ...stepFields(), draftStep: step + 1 }));
      if (step === 0) {
        set({ tags: updated.tags });
        setPendingTag("");
      }
      setStep(step + 1);
      if (draftInUrl !== slug) router.replace(`/${orgSlug}/datanets/new?draft=${encodeURIComponent(slug)}`);
    } catch (error) {
      setErrors(serverErrors(error));
    }
  }

  function goTo(target: number) {
    setErrors(null);
    setStep(target);
  }

  async function activateForUpload() {
    if (!saved || saved.status !== "draft") return;
    remember(await activate.mutateAsync({ orgSlug, datanetSlug: saved.slug }));
    toast({ title: "Datanet created", description: "It is live now, so it can take your files.", variant: "success" });
  }

  async function finish() {
    if (!saved) return;
    setErrors(null);
    try {
      await activate.mutateAsync({ orgSlug, datanetSlug: saved.slug });
      await queryClient.invalidateQueries({ queryKey: trpc.datanets.pathKey() });
      toast({ title: live ? `${values.name} is ready` : `${values.name} is created`, variant: "success" });
      router.push(`/${orgSlug}/datanets/${saved.slug}`);
    } catch (error) {
      setErrors(serverErrors(error));
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void (step === REVIEW ? finish() : next());
  }

  const hasFieldError = Object.values(fields).some(Boolean);
  const nextLabel = step === UPLOAD ? (counts && counts.records + counts.pending > 0 ? "Continue to review" : "Skip to review") : "Next";
  return (
    <>
      <Stepper steps={STEPS} current={step} />
      <form onSubmit={onSubmit} noValidate>
        <Card>
          <CardHeader title={`${step + 1}. ${STEPS[step]}`} description={stepDescriptions[step]} />
          <CardBody className="space-y-4">
            {step === 0 && <StepBasics values={values} set={set} pendingTag={pendingTag} setPendingTag={setPendingTag} errors={fields} />}
            {step === 1 && <StepLicense values={values} set={set} errors={fields} />}
            {step === 2 && <StepAccess values={values} set={set} errors={fields} formatLocked={live} />}
            {step === UPLOAD && saved && <StepUpload orgSlug={orgSlug} datanet={saved} activate={activateForUpload} />}
            {step === REVIEW && <StepReview values={values} live={live} counts={counts} goTo={goTo} />}
            <FormAlert message={errors && !hasFieldError ? errors.message : null} />
          </CardBody>
          <CardFooter>
            {saved && !live && (
              <span className="mr-auto">
                <DiscardDraft orgSlug={orgSlug} datanet={saved} />
              </span>
            )}
            {step > 0 && (
              <Button variant="secondary" onClick={() => goTo(step - 1)}>Back</Button>
            )}
            <Button type="submit" loading={createDraft.isPending || saveDraft.isPending || activate.isPending}>
              {step === REVIEW ? (live ? "Finish" : "Create Datanet") : nextLabel}
            </Button>
          </CardFooter>
        </Card>
      </form>
    </>
  );
}
