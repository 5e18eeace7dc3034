import type { BranchMessage } from "../../lib/types";

/**
 * How much of the model's context the conversation fills: the last reply's prompt and
 * completion tokens (the next turn resends them all).
 */
export function ContextBar({ messages, contextLength }: { messages: BranchMessage[]; contextLength: number }) {
  let used = 0;
  for (const { message } of messages) {
    if (message.usage) used = message.usage.promptTokens + message.usage.completionTokens;
  }
  const fraction = contextLength > 0 ? Math.min(1, used / contextLength) : 0;
  return (
    <div className="flex items-center gap-3 px-6 pt-2 text-xs text-zinc-500" data-testid="context-usage">
      <div
        className="h-1.5 flex-1 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800"
        role="meter"
        aria-label="Context used"
        aria-valuemin={0}
        aria-valuemax={contextLength}
        aria-valuenow={used}
      >
        <div
          className={fraction > 0.9 ? "h-full bg-rose-500" : "h-full bg-indigo-500"}
          style={{ width: `${(fraction * 100).toFixed(1)}%` }}
        />
      </div>
      <span>
        {used.toLocaleString()} / {contextLength.toLocaleString()} tokens
      </span>
    </div>
  );
}
