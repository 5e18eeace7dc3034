import { Outlet, useRouterState } from "@tanstack/react-router";
import { useLeaveWhenSessionEnds } from "../../hooks/useLeaveWhenSessionEnds";
import { Sidebar } from "./Sidebar";

export function AppShell() {
  const here = useRouterState({ select: (state) => state.location.href });
  useLeaveWhenSessionEnds(here);

  return (
    <div className="flex h-full overflow-hidden">
      <Sidebar />
      <main className="flex min-w-0 flex-1 flex-col overflow-y-auto">
        <Outlet />
      </main>
    </div>
  );
}
