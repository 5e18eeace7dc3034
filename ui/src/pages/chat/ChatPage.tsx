import { Link } from "@tanstack/react-router";
import { Bot, Columns2, SlidersHorizontal } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Button } from "../../components/ui/Button";
import { EmptyState } from "../../components/ui/EmptyState";
import { streamingReplyId, useChatStore, watchChat } from "../../stores/chat";
import { useModels } from "../../stores/models";
import { CompareView } from "./CompareView";
import { Composer } from "./Composer";
import { ContextBar } from "./ContextBar";
import { MessageView } from "./MessageView";
import { ModelPicker } from "./ModelPicker";
import { SettingsPanel } from "./SettingsPanel";
import { ThreadActions } from "./ThreadActions";
import { ThreadList } from "./ThreadList";

export function ChatPage() {
  const models = useModels();
  const branch = useChatStore((s) => s.branch);
  const live = useChatStore((s) => s.live);
  const modelId = useChatStore((s) => s.modelId);
  const error = useChatStore((s) => s.error);
  const streamingId = useChatStore(streamingReplyId);
  const compareOn = useChatStore((s) => s.compareOn);
  const compareModelId = useChatStore((s) => s.compareModelId);
  const compare = useChatStore((s) => s.compare);
  const presets = useChatStore((s) => s.presets);
  const {
    send,
    stop,
    regenerate,
    edit,
    switchBranch,
    saveSettings,
    refreshThreads,
    setCompareOn,
    setCompareModel,
    forkThread,
    loadPresets,
    savePreset,
    deletePreset,
    modelDefaults,
  } = useChatStore.getState();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => watchChat(), []);
  useEffect(() => {
    void refreshThreads();
    void loadPresets();
  }, [refreshThreads, loadPresets]);
  // Follow the reply as it grows.
  const lastText = streamingId ? (live[streamingId]?.content.length ?? 0) : 0;
  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: "end" });
  }, [branch?.messages.length, lastText]);

  const model = models.loaded.find((m) => m.id === modelId) ?? null;
  const canReply = model !== null && streamingId === null;
  const messages = branch?.messages ?? [];
  // Compare mode pairs the picked model with a second loaded one; a pick that was unloaded
  // (or is the first model itself) falls back to another.
  const others = models.loaded.filter((m) => m.id !== modelId);
  const second = others.find((m) => m.id === compareModelId) ?? others[0] ?? null;
  useEffect(() => {
    if ((second?.id ?? null) !== compareModelId) setCompareModel(second?.id ?? null);
  }, [second, compareModelId, setCompareModel]);
  // A comparison of this thread: the branch up to its user message, then the replies in
  // columns.
  const shownCompare = compare && branch && compare.threadId === branch.thread.id ? compare : null;
  const compareAt = shownCompare ? messages.findIndex((m) => m.message.id === shownCompare.userMessageId) : -1;
  const shown = compareAt >= 0 ? messages.slice(0, compareAt + 1) : messages;
  const stored = Object.fromEntries(messages.map((m) => [m.message.id, m.message]));

  return (
    <div data-testid="page-chat" className="flex h-full min-h-0">
      <ThreadList />
      <section aria-label="Conversation" className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-between gap-4 border-b border-zinc-200 px-6 py-3 dark:border-zinc-800">
          <h1 className="min-w-24 truncate text-base font-semibold">{branch?.thread.title || "Chat"}</h1>
          <div className="flex items-center gap-2">
            <ThreadActions threadTitle={branch ? branch.thread.title || "chat" : null} />
            <ModelPicker />
            {models.loaded.length > 1 ? (
              <Button
                variant="ghost"
                aria-label="Compare two models"
                title="Compare two models side by side"
                data-testid="chat-compare-toggle"
                aria-pressed={compareOn}
                onClick={() => setCompareOn(!compareOn)}
              >
                <Columns2 aria-hidden className="size-4" />
              </Button>
            ) : null}
            {compareOn && others.length > 0 ? (
              <label className="flex items-center gap-2 text-xs text-zinc-500">
                vs
                <select
                  data-testid="chat-compare-model"
                  value={second?.id ?? ""}
                  onChange={(event) => setCompareModel(event.target.value)}
                  className="rounded-md border border-zinc-300 bg-white px-2 py-1 text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
                >
                  {others.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.id}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            {branch ? (
              <Button
                variant="ghost"
                aria-label="Chat settings"
                data-testid="chat-settings-toggle"
                aria-pressed={settingsOpen}
                onClick={() => setSettingsOpen(!settingsOpen)}
              >
                <SlidersHorizontal aria-hidden className="size-4" />
              </Button>
            ) : null}
          </div>
        </header>
        {model && branch ? <ContextBar messages={messages} contextLength={model.contextLength} /> : null}
        {error ? (
          <div className="px-6 pt-3">
            <ErrorNotice error={error} />
          </div>
        ) : null}
        <div className="flex-1 overflow-y-auto px-6 py-4" data-testid="chat-messages">
          {messages.length === 0 ? (
            <div className="flex h-full items-center justify-center">
              <EmptyState icon={Bot} title="Start a conversation" testId="chat-empty">
                {model ? (
                  "Write a message below. Replies stream in here, with the model's thinking shown separately when it has any."
                ) : (
                  <>
                    Load a model here or on the{" "}
                    <Link
                      to="/models"
                      className="font-medium text-indigo-600 underline-offset-2 hover:underline dark:text-indigo-400"
                    >
                      Models
                    </Link>{" "}
                    page. Replies stream in here, with the model&apos;s thinking shown separately when it has any.
                  </>
                )}
              </EmptyState>
            </div>
          ) : (
            <div className="mx-auto flex max-w-3xl flex-col gap-4">
              {shown.map((item) => (
                <MessageView
                  key={item.message.id}
                  item={item}
                  live={live[item.message.id]}
                  canReply={canReply}
                  onSwitch={(id) => void switchBranch(id)}
                  onEdit={(id, text) => void edit(id, text)}
                  onRegenerate={(id) => void regenerate(id)}
                  onForkThread={(id) => void forkThread(id)}
                />
              ))}
              {shownCompare && compareAt >= 0 ? (
                <CompareView
                  run={shownCompare}
                  stored={stored}
                  live={live}
                  canReply={canReply}
                  onRegenerate={(id) => void regenerate(id)}
                  onForkThread={(id) => void forkThread(id)}
                />
              ) : null}
              <div ref={bottom} />
            </div>
          )}
        </div>
        <Composer
          canSend={model !== null && (!compareOn || second !== null)}
          streaming={streamingId !== null}
          onSend={(text) => void send(text)}
          onStop={() => void stop()}
        />
      </section>
      {settingsOpen && branch ? (
        <SettingsPanel
          key={branch.thread.id}
          settings={branch.thread.settings}
          onSave={(settings) => void saveSettings(settings)}
          onClose={() => setSettingsOpen(false)}
          presets={presets}
          onSavePreset={(name, settings) => void savePreset(name, settings)}
          onDeletePreset={(name) => void deletePreset(name)}
          onModelDefaults={model ? modelDefaults : undefined}
        />
      ) : null}
    </div>
  );
}
