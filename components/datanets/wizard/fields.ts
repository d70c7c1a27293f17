// The wizard's fields, their defaults, and the plain-words explanation of every choice.
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type DraftInput = inferRouterInputs<AppRouter>["datanets"]["saveDraft"];
export type Datanet = inferRouterOutputs<AppRouter>["datanets"]["get"];
export type License = NonNullable<DraftInput["license"]>;
export type Visibility = NonNullable<DraftInput["visibility"]>;
export type RecordFormat = NonNullable<DraftInput["recordFormat"]>;
export type ContributionPolicy = NonNullable<DraftInput["contributionPolicy"]>;

export type WizardValues = {
  name: string;
  summary: string;
  description: string;
  tags: string[];
  license: License;
  licenseText: string;
  visibility: Visibility;
  recordFormat: RecordFormat;
  contributionPolicy: ContributionPolicy;
};

/** The same defaults as a new draft row, so a new wizard and a resumed one start alike. */
export const emptyValues: WizardValues = {
  name: "",
  summary: "",
  description: "",
  tags: [],
  license: "CC-BY-4.0",
  licenseText: "",
  visibility: "private",
  recordFormat: "chat",
  contributionPolicy: "approval",
};

export function valuesOf(datanet: Datanet): WizardValues {
  return {
    name: datanet.name,
    summary: datanet.summary,
    description: datanet.description,
    tags: datanet.tags,
    license: datanet.license as License,
    licenseText: datanet.licenseText ?? "",
    visibility: datanet.visibility,
    recordFormat: datanet.recordFormat,
    contributionPolicy: datanet.contributionPolicy,
  };
}

export type Choice<T extends string> = { value: T; label: string; description: string; example?: string };

export const licenseChoices: Choice<License>[] = [
  { value: "CC-BY-4.0", label: "CC BY 4.0", description: "Anyone may use, share and adapt the data, even commercially, as long as they credit the contributors." },
  { value: "CC-BY-SA-4.0", label: "CC BY-SA 4.0", description: "As CC BY, and anything built from the data must be shared under this same license." },
  { value: "CC0-1.0", label: "CC0 1.0", description: "No conditions at all: the data is given to the public domain; credit is welcome, not required." },
  { value: "custom", label: "Custom license", description: "Your own terms. Paste the full license text below." },
];

export const visibilityChoices: Choice<Visibility>[] = [
  { value: "private", label: "Private", description: "Only members of this organization can see the Datanet and contribute to it." },
  { value: "public", label: "Public", description: "Listed in the public directory; anyone signed in can read it and contribute." },
];

export const formatChoices: Choice<RecordFormat>[] = [
  {
    value: "chat",
    label: "Chat",
    description: "Conversations of user and assistant turns, optionally with a system prompt. Best for assistants.",
    example: '{"messages": [{"role": "user", "content": "What causes anemia?"}, {"role": "assistant", "content": "Most often too little iron…"}]}',
  },
  {
    value: "instruction",
    label: "Instruction",
    description: "An instruction, optional input, and the expected output. Best for one-shot tasks.",
    example: '{"instruction": "Translate to Quechua", "input": "Good morning", "output": "Allin p\'unchay"}',
  },
  {
    value: "text",
    label: "Text",
    description: "Plain passages of domain text, from JSONL, CSV, .txt, .md or .pdf files. Best for teaching a domain's language.",
    example: '{"text": "Anemia is a condition in which the blood lacks healthy red cells…"}',
  },
];

export const policyChoices: Choice<ContributionPolicy>[] = [
  { value: "approval", label: "Review every contribution", description: "Owners and admins accept or reject each new record before it can be trained on." },
  { value: "auto_org", label: "Trust this organization's members", description: "Records from members are accepted at once; anyone else's still wait for review." },
];

export const labelOf = <T extends string>(choices: Choice<T>[], value: T): string => choices.find((c) => c.value === value)?.label ?? value;
