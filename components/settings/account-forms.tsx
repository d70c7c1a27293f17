"use client";
// Profile name, and email sign-in: add an email + password (wallet accounts) or change the password.
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { serverErrors, type ServerErrors } from "@/components/forms/errors";
import { FormAlert } from "@/components/forms/form-alert";
import { useTRPC } from "@/components/trpc/client";
import { Button, Card, CardBody, CardHeader, Input, useToast } from "@/components/ui";

interface Me {
  name: string;
  email: string | null;
  hasPassword: boolean;
}

/** Runs a mutation from a form, keeping its errors and toasting success. */
function useFormAction<T>(mutate: (input: T) => Promise<unknown>, success: string) {
  const router = useRouter();
  const { toast } = useToast();
  const [errors, setErrors] = useState<ServerErrors | null>(null);
  const [pending, setPending] = useState(false);
  async function submit(event: FormEvent<HTMLFormElement>, input: T) {
    event.preventDefault();
    setErrors(null);
    setPending(true);
    try {
      await mutate(input);
      toast({ title: success, variant: "success" });
      event.currentTarget?.reset();
      router.refresh();
    } catch (error) {
      setErrors(serverErrors(error));
    } finally {
      setPending(false);
    }
  }
  const generalError = errors && Object.values(errors.fields).every((v) => !v) ? errors.message : null;
  return { errors, pending, submit, generalError };
}

const field = (event: FormEvent<HTMLFormElement>, name: string) => String(new FormData(event.currentTarget).get(name) ?? "");

export function AccountForms({ me }: { me: Me }) {
  const trpc = useTRPC();
  const profile = useFormAction(useMutation(trpc.account.updateProfile.mutationOptions()).mutateAsync, "Profile saved");
  const addEmail = useFormAction(useMutation(trpc.account.addEmailLogin.mutationOptions()).mutateAsync, "Email sign-in added");
  const password = useFormAction(useMutation(trpc.account.changePassword.mutationOptions()).mutateAsync, "Password changed");

  return (
    <>
      <Card>
        <CardHeader title="Profile" description="How other members see you." />
        <CardBody>
          <form className="max-w-lg space-y-4" noValidate onSubmit={(e) => profile.submit(e, { name: field(e, "name") })}>
            <Input label="Name" name="name" defaultValue={me.name} required error={profile.errors?.fields.name} />
            <FormAlert message={profile.generalError} />
            <Button type="submit" loading={profile.pending}>Save profile</Button>
          </form>
        </CardBody>
      </Card>
      <Card>
        <CardHeader
          title="Email sign-in"
          description={me.email ? <>You sign in as <strong>{me.email}</strong>.</> : "Add an email and password to sign in without your wallet."}
        />
        <CardBody>
          {me.email && me.hasPassword ? (
            <form
              className="max-w-lg space-y-4"
              noValidate
              onSubmit={(e) => password.submit(e, { currentPassword: field(e, "currentPassword"), newPassword: field(e, "newPassword") })}
            >
              <Input label="Current password" name="currentPassword" type="password" autoComplete="current-password" required error={password.errors?.fields.currentPassword} />
              <Input label="New password" name="newPassword" type="password" autoComplete="new-password" hint="At least 10 characters, with letters and a digit or symbol." required error={password.errors?.fields.newPassword} />
              <FormAlert message={password.generalError} />
              <Button type="submit" loading={password.pending}>Change password</Button>
            </form>
          ) : (
            <form className="max-w-lg space-y-4" noValidate onSubmit={(e) => addEmail.submit(e, { email: field(e, "email"), password: field(e, "password") })}>
              <Input label="Email" name="email" type="email" autoComplete="email" required error={addEmail.errors?.fields.email} />
              <Input label="Password" name="password" type="password" autoComplete="new-password" hint="At least 10 characters, with letters and a digit or symbol." required error={addEmail.errors?.fields.password} />
              <FormAlert message={addEmail.generalError} />
              <Button type="submit" loading={addEmail.pending}>Add email sign-in</Button>
            </form>
          )}
        </CardBody>
      </Card>
    </>
  );
}
