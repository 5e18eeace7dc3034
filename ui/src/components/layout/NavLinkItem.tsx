import { Link } from "@tanstack/react-router";
import type { NavItem } from "./nav-items";

const BASE =
  "flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-indigo-500";

export function NavLinkItem({ item }: { item: NavItem }) {
  const Icon = item.icon;
  return (
    <Link
      to={item.to}
      data-testid={`nav-${item.page}`}
      className={BASE}
      activeProps={{
        className: "bg-white text-indigo-700 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-800 dark:text-white dark:ring-zinc-700",
        "aria-current": "page",
      }}
      inactiveProps={{
        className: "text-zinc-600 hover:bg-zinc-200/60 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800/60 dark:hover:text-zinc-100",
      }}
    >
      <Icon aria-hidden className="size-4" />
      {item.label}
    </Link>
  );
}
