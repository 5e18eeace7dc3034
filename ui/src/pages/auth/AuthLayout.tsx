import { Outlet } from "@tanstack/react-router";
import { DemoBadge } from "../../components/DemoBadge";

/** Full-screen, centered card for the sign-in pages; no sidebar. */
export function AuthLayout() {
  return (
    <div className="flex min-h-full flex-col items-center justify-center bg-zinc-50 px-4 py-10 dark:bg-zinc-950">
      <div className="mb-6 flex items-center gap-2.5">
        <img src="/favicon.svg" alt="" className="size-8" />
        <span className="text-lg font-semibold tracking-tight">Loris Studio</span>
        <DemoBadge />
      </div>
      <main className="w-full max-w-md rounded-xl border border-zinc-200 bg-white p-8 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
        <Outlet />
      </main>
    </div>
  );
}
