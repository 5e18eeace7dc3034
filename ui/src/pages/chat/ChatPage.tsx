import { Link } from "@tanstack/react-router";
import { Bot } from "lucide-react";
import { EmptyState } from "../../components/ui/EmptyState";
import { Composer } from "./Composer";
import { ThreadList } from "./ThreadList";

export function ChatPage() {
  return (
    <div data-testid="page-chat" className="flex h-full min-h-0">
      <ThreadList />
      <section aria-label="Conversation" className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-between gap-4 border-b border-zinc-200 px-6 py-3 dark:border-zinc-800">
          <h1 className="text-base font-semibold">Chat</h1>
          <span className="rounded-md border border-dashed border-zinc-300 px-2.5 py-1 text-xs text-zinc-500 dark:border-zinc-700">
            No model loaded
          </span>
        </header>
        <div className="flex flex-1 items-center justify-center overflow-y-auto">
          <EmptyState icon={Bot} title="Start a conversation" testId="chat-empty">
            Pick a model on the{" "}
            <Link to="/models" className="font-medium text-indigo-600 underline-offset-2 hover:underline dark:text-indigo-400">
              Models
            </Link>{" "}
            page and load it. Replies stream in here, with the model&apos;s thinking shown separately when it has any.
          </EmptyState>
        </div>
        <Composer />
      </section>
    </div>
  );
}
