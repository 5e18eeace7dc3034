import { SendHorizontal, Square } from "lucide-react";
import { Button } from "../../components/ui/Button";
import { useDraftsStore } from "../../stores/drafts";

/**
 * The message box. Disabled until a model is picked; while a reply streams, Send becomes Stop.
 * Its text is a draft (src/stores/drafts.ts): it survives the session ending and comes back
 * after signing in again.
 */
export function Composer({
  canSend,
  streaming,
  onSend,
  onStop,
}: {
  canSend: boolean;
  streaming: boolean;
  onSend: (text: string) => void;
  onStop: () => void;
}) {
  const draft = useDraftsStore((s) => s.chatComposer);
  const setDraft = useDraftsStore((s) => s.setChatComposer);
  const submit = () => {
    if (!canSend || streaming || draft.trim() === "") return;
    onSend(draft);
    setDraft("");
  };
  return (
    <form
      className="border-t border-zinc-200 p-4 dark:border-zinc-800"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
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
          disabled={!canSend}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            // Enter sends; Shift+Enter is a new line.
            if (event.key === "Enter" && !event.shiftKey) {
              event.preventDefault();
              submit();
            }
          }}
          placeholder={canSend ? "Write a message" : "Load a model to start chatting"}
          className="min-h-10 flex-1 resize-none bg-transparent px-2 py-1.5 text-sm outline-none placeholder:text-zinc-500 disabled:cursor-not-allowed"
        />
        {streaming ? (
          <Button variant="secondary" onClick={onStop} aria-label="Stop" data-testid="chat-stop">
            <Square aria-hidden className="size-4" />
          </Button>
        ) : (
          <Button type="submit" disabled={!canSend || draft.trim() === ""} aria-label="Send message" data-testid="chat-send">
            <SendHorizontal aria-hidden className="size-4" />
          </Button>
        )}
      </div>
      <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
        {canSend
          ? "Enter sends, Shift+Enter starts a new line. Everything runs locally; nothing leaves this machine."
          : "Load a model to start chatting. Everything runs locally; nothing leaves this machine."}
      </p>
    </form>
  );
}
