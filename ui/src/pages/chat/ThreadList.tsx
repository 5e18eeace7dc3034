import { Archive, ArchiveRestore, MessagesSquare, Pin, PinOff, Plus, Search, Trash2 } from "lucide-react";
import { Button } from "../../components/ui/Button";
import { cx } from "../../components/ui/cx";
import type { Thread } from "../../lib/types";
import { useChatStore } from "../../stores/chat";

/** Pinned first, then the most recently active. */
function ordered(threads: Thread[]): Thread[] {
  return [...threads].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updatedAt - a.updatedAt);
}

/** Past conversations, stored locally: search, pin, archive, delete. */
export function ThreadList() {
  const threads = useChatStore((s) => s.threads);
  const activeId = useChatStore((s) => s.activeThreadId);
  const showArchived = useChatStore((s) => s.showArchived);
  const search = useChatStore((s) => s.search);
  const { open, newThread, pin, archive, remove, runSearch, setShowArchived } = useChatStore.getState();
  const titles = new Map(threads.map((t) => [t.id, t.title]));

  return (
    <aside
      aria-label="Conversations"
      className="flex w-72 shrink-0 flex-col border-r border-zinc-200 dark:border-zinc-800"
    >
      <div className="flex items-center justify-between gap-2 px-4 py-3">
        <h2 className="text-sm font-semibold">Conversations</h2>
        <Button variant="secondary" data-testid="chat-new-thread" onClick={() => void newThread()}>
          <Plus aria-hidden className="size-4" />
          New chat
        </Button>
      </div>
      <label className="mx-4 mb-2 flex items-center gap-2 rounded-md border border-zinc-300 px-2 py-1 dark:border-zinc-700">
        <Search aria-hidden className="size-3.5 text-zinc-400" />
        <span className="sr-only">Search conversations</span>
        <input
          type="search"
          data-testid="chat-search"
          placeholder="Search"
          value={search.query}
          onChange={(event) => void runSearch(event.target.value)}
          className="min-w-0 flex-1 bg-transparent text-sm outline-none"
        />
      </label>
      {search.query.trim() !== "" ? (
        <ul className="flex-1 overflow-y-auto px-2" data-testid="chat-search-results">
          {search.hits.length === 0 ? <li className="px-2 text-xs text-zinc-500">No matches</li> : null}
          {search.hits.map((hit) => (
            <li key={`${hit.threadId}-${hit.messageId ?? "title"}`}>
              <button
                type="button"
                className="w-full rounded-md px-2 py-1.5 text-left text-xs hover:bg-zinc-100 dark:hover:bg-zinc-800"
                onClick={() => {
                  void runSearch("");
                  void open(hit.threadId);
                }}
              >
                <span className="block font-medium">{titles.get(hit.threadId) ?? "Conversation"}</span>
                <span className="block text-zinc-500">{hit.snippet}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : threads.length === 0 ? (
        <div className="flex flex-1 flex-col items-center justify-center gap-2 px-6 text-center">
          <MessagesSquare aria-hidden className="size-5 text-zinc-400" />
          <p className="text-sm font-medium">No conversations yet</p>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            Your chats are saved on this computer and listed here, newest first.
          </p>
        </div>
      ) : (
        <ul className="flex-1 overflow-y-auto px-2" data-testid="chat-threads">
          {ordered(threads).map((thread) => (
            <li
              key={thread.id}
              className={cx(
                "group flex items-center gap-1 rounded-md px-2 py-1.5 text-sm",
                thread.id === activeId ? "bg-zinc-100 dark:bg-zinc-800" : "hover:bg-zinc-50 dark:hover:bg-zinc-900",
              )}
            >
              <button
                type="button"
                data-testid="chat-thread"
                className="min-w-0 flex-1 truncate text-left"
                onClick={() => void open(thread.id)}
                title={thread.title}
              >
                {thread.pinned ? <Pin aria-label="Pinned" className="mr-1 inline size-3" /> : null}
                {thread.title || "New chat"}
              </button>
              <button type="button" aria-label={thread.pinned ? "Unpin" : "Pin"} onClick={() => void pin(thread)}>
                {thread.pinned ? <PinOff aria-hidden className="size-3.5" /> : <Pin aria-hidden className="size-3.5" />}
              </button>
              <button
                type="button"
                aria-label={thread.archived ? "Unarchive" : "Archive"}
                onClick={() => void archive(thread)}
              >
                {thread.archived ? (
                  <ArchiveRestore aria-hidden className="size-3.5" />
                ) : (
                  <Archive aria-hidden className="size-3.5" />
                )}
              </button>
              <button type="button" aria-label="Delete" onClick={() => void remove(thread.id)}>
                <Trash2 aria-hidden className="size-3.5" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <label className="flex items-center gap-2 border-t border-zinc-200 px-4 py-2 text-xs text-zinc-500 dark:border-zinc-800">
        <input
          type="checkbox"
          data-testid="chat-show-archived"
          checked={showArchived}
          onChange={(event) => void setShowArchived(event.target.checked)}
        />
        Show archived
      </label>
    </aside>
  );
}
