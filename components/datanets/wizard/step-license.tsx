// Step 2: the license contributors agree to and model builders must follow.
import { Textarea } from "@/components/ui";
import { ChoiceGroup } from "./choice-group";
import { licenseChoices, type WizardValues } from "./fields";

type Props = {
  values: WizardValues;
  set: (patch: Partial<WizardValues>) => void;
  errors: Record<string, string | undefined>;
};

export function StepLicense({ values, set, errors }: Props) {
  return (
    <div className="space-y-5">
      <ChoiceGroup
        legend="License"
        name="license"
        choices={licenseChoices}
        value={values.license}
        onChange={(license) => set({ license })}
        error={errors.license}
        columns={2}
      />
      {values.license === "custom" && (
        <Textarea
          label="License text"
          rows={8}
          value={values.licenseText}
          onChange={(e) => set({ licenseText: e.target.value })}
          hint="The full terms. Contributors see them before they upload."
          error={errors.licenseText}
        />
      )}
    </div>
  );
}
