// Server messages name the field they are about ("hyperparameters.loraRank: Too big: …",
// several joined by spaces); this splits them so each shows next to its own field.

export interface FieldMessages {
  /** Keyed by the path the server named, e.g. "hyperparameters.loraRank", "modelName". */
  fields: Record<string, string>;
  /** What names no known field. */
  rest: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function fieldMessages(message: string, known: readonly string[]): FieldMessages {
  // Only the known paths split: messages themselves contain colons ("Too big: expected …").
  const parts = message.split(new RegExp(`(?:^| )(${known.map(escape).join("|")}): `));
  const fields: Record<string, string> = {};
  for (let i = 1; i < parts.length; i += 2) {
    const key = parts[i]!;
    const text = (parts[i + 1] ?? "").trim();
    fields[key] = fields[key] ? `${fields[key]} ${text}` : text;
  }
  return { fields, rest: (parts[0] ?? "").trim() };
}
