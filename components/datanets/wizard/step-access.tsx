// Step 3: who sees the Datanet, what its records look like, and how contributions are accepted.
import { ChoiceGroup } from "./choice-group";
import { formatChoices, policyChoices, visibilityChoices, type WizardValues } from "./fields";

type Props = {
  values: WizardValues;
  set: (patch: Partial<WizardValues>) => void;
  errors: Record<string, string | undefined>;
  /** A live Datanet's record format is fixed. */
  formatLocked: boolean;
};

export function StepAccess({ values, set, errors, formatLocked }: Props) {
  return (
    <div className="space-y-6">
      <ChoiceGroup
        legend="Visibility"
        name="visibility"
        choices={visibilityChoices}
        value={values.visibility}
        onChange={(visibility) => set({ visibility })}
        error={errors.visibility}
        columns={2}
      />
      <div className="space-y-2">
        <ChoiceGroup
          legend="Record format"
          name="recordFormat"
          choices={formatLocked ? formatChoices.filter((c) => c.value === values.recordFormat) : formatChoices}
          value={values.recordFormat}
          onChange={(recordFormat) => set({ recordFormat })}
          error={errors.recordFormat}
        />
        <p className="text-sm text-gray-600">
          {formatLocked
            ? "This Datanet is live, so its record format is fixed."
            : "Every record has this shape; uploads in other common shapes are converted to it. It cannot change once the Datanet is live."}
        </p>
      </div>
      <ChoiceGroup
        legend="Contribution policy"
        name="contributionPolicy"
        choices={policyChoices}
        value={values.contributionPolicy}
        onChange={(contributionPolicy) => set({ contributionPolicy })}
        error={errors.contributionPolicy}
        columns={2}
      />
    </div>
  );
}
