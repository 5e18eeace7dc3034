import { backendMode } from "../../lib/backend";
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
      </div>
    </aside>
  );
}
