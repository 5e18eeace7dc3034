import { cx } from "../ui/cx";
import { percentOf } from "./format";

/** A horizontal bar of used / total; amber above 90%, like the "tight" verdict. */
export function UsageBar({ used, total, label, testId }: { used: number; total: number; label: string; testId?: string }) {
  const percent = percentOf(used, total);
  return (
    <div
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={used}
      data-testid={testId}
      className="h-2 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
    >
      <div
        className={cx("h-full rounded-full", percent > 90 ? "bg-amber-500" : "bg-indigo-500")}
        style={{ width: `${percent}%` }}
      />
    </div>
  );
}
