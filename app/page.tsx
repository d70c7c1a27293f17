import Link from "next/link";
import { redirect } from "next/navigation";
import { Logo } from "@/components/logo";
import { getCaller } from "@/components/trpc/server";
import { buttonClasses } from "@/components/ui";
import { currentUserId } from "@/server/auth/options";

const steps = [
  ["Pool data", "Communities gather domain records in Datanets; every record keeps its contributor."],
  ["Fine-tune", "Pick a base model and a Datanet version; Tributary trains a LoRA adapter on a GPU worker."],
  ["Serve", "Deploy with one click onto a shared pool; call it with an OpenAI-compatible API key."],
  ["Credit", "Each answer is attributed to the records it draws on, committed on-chain, and paid out."],
] as const;

export default async function HomePage() {
  if (await currentUserId()) {
    const [first] = await (await getCaller()).orgs.list();
    if (first) redirect(`/${first.slug}`);
  }
  return (
    <main className="mx-auto flex min-h-dvh max-w-5xl flex-col px-4 py-8 sm:px-6">
      <header className="flex items-center justify-between">
        <Logo />
        <nav className="flex gap-2">
          <Link href="/sign-in" className={buttonClasses("ghost")}>Sign in</Link>
          <Link href="/sign-up" className={buttonClasses("primary")}>Create account</Link>
        </nav>
      </header>
      <section className="py-16 sm:py-24">
        <h1 className="max-w-2xl text-4xl font-semibold tracking-tight text-gray-900 sm:text-5xl">
          Fine-tuned models from community data, with credit where it is due.
        </h1>
        <p className="mt-4 max-w-xl text-lg text-gray-600">
          Tributary is a self-hostable ModelFactory: no code from dataset to deployed model, and every answer traced back to the
          people whose data shaped it.
        </p>
        <Link href="/sign-up" className={`${buttonClasses("primary")} mt-8`}>Get started</Link>
      </section>
      <ol className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        {steps.map(([title, text], i) => (
          <li key={title} className="rounded-card border border-gray-200 bg-white p-5">
            <p className="text-sm font-semibold text-brand-700">{i + 1}. {title}</p>
            <p className="mt-2 text-sm text-gray-600">{text}</p>
          </li>
        ))}
      </ol>
    </main>
  );
}
