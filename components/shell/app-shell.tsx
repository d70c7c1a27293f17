"use client";
// The dashboard frame: sidebar on wide screens, a top bar with a menu button on narrow ones.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useState, type ReactNode } from "react";
import { Logo } from "@/components/logo";
import { Button, cn } from "@/components/ui";
import { navItems } from "./nav-items";
import { OrgSwitcher, type OrgSummary } from "./org-switcher";

interface AppShellProps {
  org: OrgSummary;
  orgs: OrgSummary[];
  user: { name: string; email: string | null; walletAddress: string | null };
  children: ReactNode;
}

function Icon({ d }: { d: string }) {
  return (
    <svg viewBox="0 0 24 24" className="size-5 shrink-0" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={d} />
    </svg>
  );
}

export function AppShell({ org, orgs, user, children }: AppShellProps) {
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);
  const base = `/${org.slug}`;

  const sidebar = (
    <div className="flex h-full flex-col gap-4 p-4">
      <div className="hidden lg:block"><Logo href={base} /></div>
      <OrgSwitcher current={org} orgs={orgs} />
      <nav aria-label="Main" className="flex-1">
        <ul className="space-y-1">
          {navItems.map((item) => {
            const href = item.segment ? `${base}/${item.segment}` : base;
            const active = item.segment ? pathname.startsWith(href) : pathname === base;
            return (
              <li key={item.label}>
                <Link
                  href={href}
                  onClick={() => setMenuOpen(false)}
                  aria-current={active ? "page" : undefined}
                  className={cn(
                    "flex items-center gap-3 rounded-control px-3 py-2 text-sm font-medium",
                    active ? "bg-brand-50 text-brand-800" : "text-gray-700 hover:bg-gray-100 hover:text-gray-900",
                  )}
                >
                  <Icon d={item.icon} />
                  {item.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="border-t border-gray-200 pt-4">
        <p className="truncate text-sm font-medium text-gray-900">{user.name}</p>
        <p className="truncate text-xs text-gray-600">{user.email ?? user.walletAddress}</p>
        <div className="mt-2 flex gap-2">
          <Link href={`${base}/settings/account`} className="text-sm text-brand-700 underline" onClick={() => setMenuOpen(false)}>
            Account
          </Link>
          <Button variant="ghost" size="sm" onClick={() => signOut({ callbackUrl: "/sign-in" })}>
            Sign out
          </Button>
        </div>
      </div>
    </div>
  );

  return (
    <div className="min-h-dvh lg:flex">
      <header className="flex items-center justify-between border-b border-gray-200 bg-white px-4 py-3 lg:hidden">
        <Logo href={base} />
        <Button variant="secondary" size="sm" aria-expanded={menuOpen} aria-controls="app-sidebar" onClick={() => setMenuOpen((v) => !v)}>
          {menuOpen ? "Close menu" : "Menu"}
        </Button>
      </header>
      <aside
        id="app-sidebar"
        className={cn("border-gray-200 bg-white lg:sticky lg:top-0 lg:block lg:h-dvh lg:w-64 lg:shrink-0 lg:border-r", menuOpen ? "block border-b" : "hidden")}
      >
        {sidebar}
      </aside>
      <main className="min-w-0 flex-1 px-4 py-6 sm:px-8 sm:py-8">
        <div className="mx-auto max-w-5xl">{children}</div>
      </main>
    </div>
  );
}
