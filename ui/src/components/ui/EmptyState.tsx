import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";

type EmptyStateProps = {
  icon: LucideIcon;
  title: string;
  children: ReactNode;
  action?: ReactNode;
  testId?: string;
};

/** What will be here, and what the user can do about it. */
export function EmptyState({ icon: Icon, title, children, action, testId }: EmptyStateProps) {
  return (
    <div data-testid={testId} className="flex flex-col items-center justify-center px-6 py-12 text-center">
      <div className="mb-4 rounded-full bg-zinc-100 p-3 text-zinc-500 dark:bg-zinc-800 dark:text-zinc-400">
        <Icon aria-hidden className="size-6" />
      </div>
      <h2 className="text-sm font-semibold">{title}</h2>
      <div className="mt-1 max-w-md text-sm text-zinc-600 dark:text-zinc-400">{children}</div>
      {action ? <div className="mt-5">{action}</div> : null}
    </div>
  );
}
