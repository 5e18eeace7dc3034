import type { ReactNode } from "react";

export function AuthHeading({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="mb-6">
      <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
      {children ? <div className="mt-1.5 text-sm text-zinc-600 dark:text-zinc-400">{children}</div> : null}
    </header>
  );
}
