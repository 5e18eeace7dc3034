import { MessagesSquare, Plus } from "lucide-react";
import { Button } from "../../components/ui/Button";

/** Past conversations. Threads are stored locally, one per conversation. */
export function ThreadList() {
  return (
    <aside
      aria-label="Conversations"
      className="flex w-72 shrink-0 flex-col border-r border-zinc-200 dark:border-zinc-800"
    >
      <div className="flex items-center justify-between gap-2 px-4 py-3">
        <h2 className="text-sm font-semibold">Conversations</h2>
        <Button variant="secondary" disabled title="Load a model first">
          <Plus aria-hidden className="size-4" />
          New chat
        </Button>
      </div>
      <div className="flex flex-1 flex-col items-center justify-center gap-2 px-6 text-center">
        <MessagesSquare aria-hidden className="size-5 text-zinc-400" />
        <p className="text-sm font-medium">No conversations yet</p>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Your chats are saved on this computer and listed here, newest first.
        </p>
      </div>
    </aside>
  );
}
