// Step 3: how each record becomes a training example, explained in plain words.
import { ChoiceGroup } from "@/components/datanets/wizard/choice-group";
import type { TaskTemplate } from "../types";

const templates: { value: TaskTemplate; label: string; description: string; example: string }[] = [
  {
    value: "chat",
    label: "Chat assistant",
    description: "The model answers in a conversation. It learns to write the assistant's turns; user and system turns are only read.",
    example: "user: What is a fever?\nassistant: A body temperature above 38 °C.  ← learned",
  },
  {
    value: "instruction",
    label: "Follow instructions",
    description: "The model gets an instruction (and optional input) and learns to write the expected output.",
    example: "instruction: Summarize this note.\ninput: …\noutput: …  ← learned",
  },
  {
    value: "text",
    label: "Continue text",
    description: "The model learns the language and style of the whole text, prompts included. Good for documents and notes.",
    example: "Every word of every record  ← learned",
  },
];

export function StepTask({ value, onChange, suggested }: { value: TaskTemplate; onChange: (t: TaskTemplate) => void; suggested: TaskTemplate }) {
  const choices = templates.map((t) => ({ ...t, label: t.value === suggested ? `${t.label} (suggested for your data)` : t.label }));
  return <ChoiceGroup legend="What should the model learn to do?" name="task-template" choices={choices} value={value} onChange={onChange} />;
}
