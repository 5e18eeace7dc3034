import { Brain, ChevronLeft, ChevronRight, GitBranchPlus, Pencil, RefreshCw, Wrench } from "lucide-react";
import { lazy, Suspense, useState } from "react";
import { Button } from "../../components/ui/Button";
import type { BranchMessage, Message } from "../../lib/types";
import type { LiveReply } from "../../stores/chat";

// The Markdown renderer and its highlighter are most of the page's code: loaded on first use,
// so the rest of the app starts without them.
const Markdown = lazy(() => import("./Markdown").then((m) => ({ default: m.Markdown })));

type Props = {
  item: BranchMessage;
  /** Text received so far while the reply streams. */
  live?: LiveReply;
  /** Whether actions that start a reply are available (a model is picked, nothing streams). */
  canReply: boolean;
  onSwitch: (messageId: string) => void;
  onEdit: (messageId: string, text: string) => void;
  onRegenerate: (messageId: string) => void;
  /** "Continue from this message" in a new thread. */
  onForkThread: (messageId: string) => void;
};

/**
 * `timings` as the engine reports them (snake_case, milliseconds), and `model`: the model a
 * compared reply came from.
 */
type Timings = { time_to_first_token_ms?: number; decode_tokens_per_s?: number; model?: string };

/** A tool call as stored: `{type: "function", function: {name, arguments}}`. */
type ToolCall = { function?: { name?: string; arguments?: unknown } };

function toolCalls(message: Message): ToolCall[] {
  return Array.isArray(message.toolCalls) ? (message.toolCalls as ToolCall[]) : [];
}

const STATUS_LABEL: Partial<Record<Message["status"], string>> = {
  stopped: "Stopped",
  interrupted: "Interrupted: the app closed while this reply was written",
  error: "Failed",
};

/** One message of the branch on screen: text, thinking, status, stats, branch arrows, actions. */
export function MessageView({ item, live, canReply, onSwitch, onEdit, onRegenerate, onForkThread }: Props) {
  const { message, siblingIds, siblingIndex } = item;
  const [editing, setEditing] = useState<string | null>(null);
  const content = live?.content ?? message.content;
  const reasoning = live?.reasoning ?? message.reasoning;
  const streaming = message.status === "streaming";
  const isUser = message.role === "user";
  const status = STATUS_LABEL[message.status];
  const switchTo = (index: number) => {
    const id = siblingIds[index];
    if (id !== undefined) onSwitch(id);
  };

  return (
    <article
      data-testid={`message-${message.role}`}
      data-message-id={message.id}
      data-status={message.status}
      className={isUser ? "ml-auto max-w-[80%] rounded-lg bg-indigo-50 px-4 py-3 dark:bg-indigo-500/10" : "max-w-full py-2"}
    >
      {reasoning !== "" ? (
        <details data-testid="thinking" className="mb-2 rounded-md border border-zinc-200 px-3 py-2 text-xs dark:border-zinc-800">
          <summary className="flex cursor-pointer items-center gap-1.5 text-zinc-500">
            <Brain aria-hidden className="size-3.5" />
            {streaming && content === "" ? "Thinking…" : "Thinking"}
          </summary>
          <p className="mt-2 whitespace-pre-wrap text-zinc-600 dark:text-zinc-400">{reasoning}</p>
        </details>
      ) : null}
      {editing !== null ? (
        <form
          className="flex flex-col gap-2"
          onSubmit={(event) => {
            event.preventDefault();
            if (editing.trim() === "") return;
            onEdit(message.id, editing);
            setEditing(null);
          }}
        >
          <textarea
            data-testid="edit-input"
            aria-label="Edit message"
            value={editing}
            onChange={(event) => setEditing(event.target.value)}
            rows={3}
            className="w-full rounded-md border border-zinc-300 bg-white p-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
          />
          <div className="flex gap-2">
            <Button type="submit" disabled={!canReply} data-testid="edit-save">
              Save and answer
            </Button>
            <Button variant="ghost" onClick={() => setEditing(null)}>
              Cancel
            </Button>
          </div>
        </form>
      ) : isUser ? (
        <p className="whitespace-pre-wrap text-sm">{content}</p>
      ) : (
        <div data-testid="message-content">
          {content === "" && streaming ? <span className="text-sm text-zinc-400">…</span> : (
            <Suspense fallback={<p className="whitespace-pre-wrap text-sm">{content}</p>}>
              <Markdown text={content} />
            </Suspense>
          )}
        </div>
      )}
      {toolCalls(message).length > 0 ? (
        <ul data-testid="tool-calls" className="mt-2 flex flex-col gap-1 text-xs">
          {toolCalls(message).map((call, index) => (
            <li key={index} className="flex items-start gap-1.5 rounded-md bg-zinc-100 px-2 py-1 font-mono dark:bg-zinc-800">
              <Wrench aria-hidden className="mt-0.5 size-3 shrink-0" />
              <span className="break-all">
                {call.function?.name ?? "?"}({JSON.stringify(call.function?.arguments ?? {})})
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {status ? (
        <p data-testid="message-status" className="mt-1 text-xs font-medium text-amber-700 dark:text-amber-400">
          {status}
          {message.error && message.status === "error" ? `: ${message.error}` : ""}
        </p>
      ) : null}
      <footer className="mt-1 flex flex-wrap items-center gap-2 text-xs text-zinc-500">
        {siblingIds.length > 1 ? (
          <span className="flex items-center gap-1" data-testid="branch-nav">
            <button
              type="button"
              aria-label="Previous version"
              disabled={siblingIndex === 0 || streaming}
              onClick={() => switchTo(siblingIndex - 1)}
              className="rounded p-0.5 hover:bg-zinc-100 disabled:opacity-40 dark:hover:bg-zinc-800"
            >
              <ChevronLeft aria-hidden className="size-3.5" />
            </button>
            <span data-testid="branch-position">
              {siblingIndex + 1} / {siblingIds.length}
            </span>
            <button
              type="button"
              aria-label="Next version"
              disabled={siblingIndex === siblingIds.length - 1 || streaming}
              onClick={() => switchTo(siblingIndex + 1)}
              className="rounded p-0.5 hover:bg-zinc-100 disabled:opacity-40 dark:hover:bg-zinc-800"
            >
              <ChevronRight aria-hidden className="size-3.5" />
            </button>
          </span>
        ) : null}
        {isUser && editing === null ? (
          <button
            type="button"
            aria-label="Edit"
            data-testid="edit-message"
            disabled={!canReply}
            onClick={() => setEditing(message.content)}
            className="rounded p-0.5 hover:bg-zinc-100 disabled:opacity-40 dark:hover:bg-zinc-800"
          >
            <Pencil aria-hidden className="size-3.5" />
          </button>
        ) : null}
        {!streaming && editing === null ? (
          <button
            type="button"
            aria-label="Continue in a new chat"
            title="Continue from here in a new chat"
            data-testid="fork-thread"
            onClick={() => onForkThread(message.id)}
            className="rounded p-0.5 hover:bg-zinc-100 disabled:opacity-40 dark:hover:bg-zinc-800"
          >
            <GitBranchPlus aria-hidden className="size-3.5" />
          </button>
        ) : null}
        {message.role === "assistant" && !streaming ? (
          <>
            <button
              type="button"
              aria-label="Regenerate"
              data-testid="regenerate"
              disabled={!canReply}
              onClick={() => onRegenerate(message.id)}
              className="rounded p-0.5 hover:bg-zinc-100 disabled:opacity-40 dark:hover:bg-zinc-800"
            >
              <RefreshCw aria-hidden className="size-3.5" />
            </button>
            <Stats message={message} />
          </>
        ) : null}
      </footer>
    </article>
  );
}

/** Tokens, decode speed and time to first token of a finished reply. */
function Stats({ message }: { message: Message }) {
  const timings = (message.timings ?? {}) as Timings;
  const parts: string[] = [];
  if (typeof timings.model === "string") parts.push(timings.model);
  if (message.usage) parts.push(`${message.usage.completionTokens} tokens`);
  if (typeof timings.decode_tokens_per_s === "number" && timings.decode_tokens_per_s > 0) {
    parts.push(`${timings.decode_tokens_per_s.toFixed(1)} tok/s`);
  }
  if (typeof timings.time_to_first_token_ms === "number") {
    parts.push(`${Math.round(timings.time_to_first_token_ms)} ms to first token`);
  }
  if (parts.length === 0) return null;
  return <span data-testid="message-stats">{parts.join(" · ")}</span>;
}
