import type { Message } from "../../lib/types";
import type { CompareRun, LiveReply } from "../../stores/chat";
import { MessageView } from "./MessageView";

/** The replies of a comparison in columns, one per model, each streaming on its own. */
export function CompareView({
  run,
  stored,
  live,
  canReply,
  onRegenerate,
  onForkThread,
}: {
  run: CompareRun;
  /** Stored rows of the branch on screen, by id (the reply on screen is among them). */
  stored: Record<string, Message>;
  live: Record<string, LiveReply>;
  canReply: boolean;
  onRegenerate: (messageId: string) => void;
  onForkThread: (messageId: string) => void;
}) {
  return (
    <div data-testid="chat-compare" className="grid gap-4" style={{ gridTemplateColumns: `repeat(${run.replies.length}, minmax(0, 1fr))` }}>
      {run.replies.map(({ modelId, messageId }) => {
        const message: Message = run.done[messageId] ??
          stored[messageId] ?? {
            id: messageId,
            threadId: run.threadId,
            parentId: run.userMessageId,
            role: "assistant",
            content: "",
            reasoning: "",
            toolCalls: null,
            sampling: null,
            usage: null,
            timings: null,
            status: "streaming",
            error: null,
            createdAt: 0,
          };
        return (
          <section
            key={messageId}
            data-testid="chat-compare-column"
            aria-label={`Reply from ${modelId}`}
            className="min-w-0 rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800"
          >
            <h3 className="truncate text-xs font-semibold text-zinc-500" title={modelId}>
              {modelId}
            </h3>
            <MessageView
              item={{ message, siblingIds: [messageId], siblingIndex: 0 }}
              live={live[messageId]}
              canReply={canReply}
              onSwitch={() => undefined}
              onEdit={() => undefined}
              onRegenerate={onRegenerate}
              onForkThread={onForkThread}
            />
          </section>
        );
      })}
    </div>
  );
}
