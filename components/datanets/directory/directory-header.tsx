// The directory's own top bar: it lives outside the dashboard shell, so signed-out
// visitors see sign-in links and signed-in ones a way back to their dashboard.
import Link from "next/link";
import { Logo } from "@/components/logo";
import { buttonClasses } from "@/components/ui";

export function DirectoryHeader({ signedIn }: { signedIn: boolean }) {
  return (
    <header className="flex flex-wrap items-center justify-between gap-3">
      <Logo />
      <nav aria-label="Account" className="flex gap-2">
        {signedIn ? (
          <Link href="/" className={buttonClasses("primary")}>Your dashboard</Link>
        ) : (
          <>
            <Link href="/sign-in?next=/datanets/directory" className={buttonClasses("ghost")}>Sign in</Link>
            <Link href="/sign-up" className={buttonClasses("primary")}>Create account</Link>
          </>
        )}
      </nav>
    </header>
  );
}
