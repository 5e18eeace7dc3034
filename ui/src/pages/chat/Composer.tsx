import { SendHorizontal } from "lucide-react";
import { Button } from "../../components/ui/Button";
import { useDraftsStore } from "../../stores/drafts";

/**
 * The message box. Disabled until a model is loaded. Its text is a draft (src/stores/drafts.ts):
 * it survives the session ending and comes back after signing in again.
 */
export function Composer() {
  const draft = useDraftsStore((s) => s.chatComposer);
  const setDraft = useDraftsStore((s) => s.setChatComposer);
  return (
    <form
      className="border-t border-zinc-200 p-4 dark:border-zinc-800"
      onSubmit={(event) => event.preventDefault()}
      aria-label="Message composer"
    >
      <div className="flex items-end gap-2 rounded-lg border border-zinc-300 bg-zinc-50 p-2 dark:border-zinc-700 dark:bg-zinc-900">
        <label htmlFor="composer-input" className="sr-only">
          Message
        </label>
        <textarea
          id="composer-input"
          data-testid="chat-composer"
          rows={2}
          disabled
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder="Load a model to start chatting"
          className="min-h-10 flex-1 resize-none bg-transparent px-2 py-1.5 text-sm outline-none placeholder:text-zinc-500 disabled:cursor-not-allowed"
        />
        <Button type="submit" disabled aria-label="Send message">
          <SendHorizontal aria-hidden className="size-4" />
        </Button>
      </div>
      <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
        Load a model to start chatting. Everything runs locally; nothing leaves this machine.
      </p>
    </form>
  );
}
