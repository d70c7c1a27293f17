"use client";
// Sign-up with email + password; signs the new user in and, when they came from an
// invite link, accepts the invite before landing them in that org.
import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Button, Input } from "@/components/ui";
import { FormAlert } from "@/components/forms/form-alert";
import { serverErrors, type ServerErrors } from "@/components/forms/errors";

export function SignUpForm({ inviteToken, email }: { inviteToken?: string; email?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [errors, setErrors] = useState<ServerErrors | null>(null);
  const signUp = useMutation(trpc.account.signUp.mutationOptions());
  const accept = useMutation(trpc.invites.accept.mutationOptions());
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { name: String(form.get("name")), email: String(form.get("email")), password: String(form.get("password")) };
    setPending(true);
    setErrors(null);
    try {
      const { personalOrgSlug } = await signUp.mutateAsync(input);
      const result = await signIn("password", { email: input.email, password: input.password, redirect: false });
      if (!result || result.error) throw new Error(result?.error ?? "Your account was created, but signing in failed. Sign in now.");
      const destination = inviteToken ? (await accept.mutateAsync({ token: inviteToken })).orgSlug : personalOrgSlug;
      router.replace(`/${destination}`);
      router.refresh();
    } catch (error) {
      setErrors(serverErrors(error));
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate>
      <Input label="Your name" name="name" autoComplete="name" required error={errors?.fields.name} />
      <Input label="Email" name="email" type="email" autoComplete="email" defaultValue={email} required error={errors?.fields.email} />
      <Input
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        hint="At least 10 characters, with letters and a digit or symbol."
        required
        error={errors?.fields.password}
      />
      <FormAlert message={errors && Object.values(errors.fields).every((v) => !v) ? errors.message : null} />
      <Button type="submit" loading={pending} className="w-full">
        Create account
      </Button>
    </form>
  );
}
