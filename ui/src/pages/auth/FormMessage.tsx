import { TriangleAlert } from "lucide-react";
import type { ReactNode } from "react";
import { cx } from "../../components/ui/cx";

/** An inline message under a sign-in form: an error (role="alert") or a neutral notice. */
export function FormMessage({
  tone = "error",
  testId,
  code,
  children,
}: {
  tone?: "error" | "warning" | "info";
  testId?: string;
  code?: string;
  children: ReactNode;
}) {
  return (
    <div
      role={tone === "info" ? "status" : "alert"}
      data-testid={testId}
      data-error-code={code}
      className={cx(
        "flex items-start gap-2.5 rounded-md border p-3 text-sm",
        tone === "error" && "border-rose-200 bg-rose-50 text-rose-900 dark:border-rose-500/30 dark:bg-rose-500/10 dark:text-rose-200",
        tone === "warning" && "border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-500/30 dark:bg-amber-500/10 dark:text-amber-200",
        tone === "info" && "border-indigo-200 bg-indigo-50 text-indigo-900 dark:border-indigo-500/30 dark:bg-indigo-500/10 dark:text-indigo-200",
      )}
    >
      {tone === "info" ? null : <TriangleAlert aria-hidden className="mt-0.5 size-4 shrink-0" />}
      <div className="min-w-0 flex-1 break-words">{children}</div>
    </div>
  );
}
