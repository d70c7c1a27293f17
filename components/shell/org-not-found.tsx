// Shown for /[org] addresses that are not among the user's organizations.
import Link from "next/link";
import { Logo } from "@/components/logo";
import { buttonClasses, EmptyState } from "@/components/ui";

export function OrgNotFound({ slug, message }: { slug: string; message: string }) {
  return (
    <main className="mx-auto flex min-h-dvh max-w-lg flex-col items-center justify-center gap-8 px-4">
      <Logo />
      <EmptyState
        titleAs="h1"
        title={`No organization “${slug}”`}
        description={message}
        action={<Link href="/" className={buttonClasses("primary")}>Go to your organizations</Link>}
      />
    </main>
  );
}
