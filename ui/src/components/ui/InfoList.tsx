import type { ReactNode } from "react";
import { cx } from "./cx";

export type InfoRow = { label: string; value: ReactNode; mono?: boolean; testId?: string };

/** Label/value pairs; paths are shown monospaced and selectable so they can be copied. */
export function InfoList({ rows }: { rows: InfoRow[] }) {
  return (
    <dl className="divide-y divide-zinc-100 dark:divide-zinc-800">
      {rows.map((row) => (
        <div key={row.label} className="grid grid-cols-[10rem_1fr] gap-4 py-2 text-sm first:pt-0 last:pb-0">
          <dt className="text-zinc-500 dark:text-zinc-400">{row.label}</dt>
          <dd data-testid={row.testId} className={cx("min-w-0 break-all select-text", row.mono && "font-mono text-[13px]")}>
            {row.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
