import { LogOut, UserRound } from "lucide-react";
import { backendMode } from "../../lib/backend";
import { useSessionStore } from "../../stores/session";
import { DemoBadge } from "../DemoBadge";
import { HardwareStatus } from "./HardwareStatus";
import { NAV_ITEMS } from "./nav-items";
import { NavLinkItem } from "./NavLinkItem";

function Brand() {
  return (
    <div className="flex items-center gap-2.5 px-3">
      <img src="/favicon.svg" alt="" className="size-7" />
      <span className="text-[15px] font-semibold tracking-tight">Loris Studio</span>
    </div>
  );
}

function SignedInUser() {
  const username = useSessionStore((s) => s.session?.user.username ?? null);
  const logout = useSessionStore((s) => s.logout);
  return (
    <div className="flex items-center gap-2 px-2">
      <div className="flex min-w-0 flex-1 items-center gap-2 px-1 text-sm text-zinc-700 dark:text-zinc-300">
        <UserRound aria-hidden className="size-4 shrink-0 text-zinc-500" />
        <span data-testid="signed-in-user" className="truncate" title={username ?? undefined}>
          {username}
        </span>
      </div>
      <button
        type="button"
        data-testid="sign-out"
        onClick={() => void logout()}
        className="inline-flex shrink-0 items-center gap-1.5 rounded-md px-2 py-1 text-xs font-medium text-zinc-600 transition-colors hover:bg-zinc-200/60 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-zinc-400 dark:hover:bg-zinc-800/60 dark:hover:text-zinc-100"
      >
        <LogOut aria-hidden className="size-3.5" />
        Sign out
      </button>
    </div>
  );
}

export function Sidebar() {
  return (
    <aside className="flex w-60 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50 py-4 dark:border-zinc-800 dark:bg-zinc-900/60">
      <Brand />
      <nav aria-label="Main" className="mt-6 flex flex-1 flex-col gap-1 px-2">
        {NAV_ITEMS.map((item) => (
          <NavLinkItem key={item.page} item={item} />
        ))}
      </nav>
      <div className="flex flex-col gap-2 border-t border-zinc-200 pt-3 dark:border-zinc-800">
        {backendMode() === "demo" ? (
          <div className="px-3">
            <DemoBadge />
          </div>
        ) : null}
        <HardwareStatus />
        <SignedInUser />
      </div>
    </aside>
  );
}
