import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { safeNext } from "@/components/auth/safe-next";
import { Card, CardBody } from "@/components/ui";
import { currentUserId } from "@/server/auth/options";

export const metadata: Metadata = { title: "Create account" };

export default async function SignUpPage({ searchParams }: PageProps<"/sign-up">) {
  const params = await searchParams;
  if (await currentUserId()) redirect(safeNext(params.next));
  const invite = typeof params.invite === "string" ? params.invite : undefined;
  const email = typeof params.email === "string" ? params.email : undefined;
  return (
    <Card>
      <CardBody className="space-y-6">
        <div>
          <h1 className="text-xl font-semibold text-gray-900">Create your Tributary account</h1>
          <p className="mt-1 text-sm text-gray-600">
            {invite ? "You will join the organization that invited you. " : "You get a personal workspace to start in. "}
            Have an account?{" "}
            <Link className="font-medium text-brand-700 underline" href={invite ? `/sign-in?next=/invite/${invite}` : "/sign-in"}>
              Sign in
            </Link>
          </p>
        </div>
        <SignUpForm inviteToken={invite} email={email} />
      </CardBody>
    </Card>
  );
}
