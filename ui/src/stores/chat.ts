import { create } from "zustand";
import * as backend from "../lib/backend";
import { toBackendError, type BackendError } from "../lib/backend-error";
import type {
  ChatBranch,
  ChatEventPayload,
  ExportFormat,
  Message,
  SamplingPreset,
  SearchHit,
  Thread,
  ThreadSettings,
} from "../lib/types";

/** Text of a reply received so far, by message id, while it streams. */
export type LiveReply = { threadId: string; content: string; reasoning: string };

/** A comparison on screen: one user message, a reply per model, shown side by side. */
export type CompareRun = {
  threadId: string;
  userMessageId: string;
  replies: { modelId: string; messageId: string }[];
  /** The replies as stored once they end, by message id. */
  done: Record<string, Message>;
};

type ChatState = {
  threads: Thread[];
  showArchived: boolean;
  activeThreadId: string | null;
  branch: ChatBranch | null;
  /** Replies streaming now (the stored row lags behind the events). */
  live: Record<string, LiveReply>;
  /** The loaded model replies come from. */
  modelId: string | null;
  search: { query: string; hits: SearchHit[] };
  error: BackendError | null;
  /** The second model of compare mode; `null` when compare mode is off. */
  compareModelId: string | null;
  compareOn: boolean;
  compare: CompareRun | null;
  presets: SamplingPreset[];
};

type ChatStore = ChatState & {
  refreshThreads: () => Promise<void>;
  setShowArchived: (show: boolean) => Promise<void>;
  open: (threadId: string | null) => Promise<void>;
  newThread: () => Promise<Thread>;
  setModel: (modelId: string | null) => void;
  send: (text: string) => Promise<void>;
  stop: () => Promise<void>;
  regenerate: (messageId: string) => Promise<void>;
  edit: (messageId: string, text: string) => Promise<void>;
  switchBranch: (messageId: string) => Promise<void>;
  pin: (thread: Thread) => Promise<void>;
  archive: (thread: Thread) => Promise<void>;
  remove: (threadId: string) => Promise<void>;
  saveSettings: (settings: ThreadSettings) => Promise<void>;
  runSearch: (query: string) => Promise<void>;
  setCompareOn: (on: boolean) => void;
  setCompareModel: (modelId: string | null) => void;
  /** Continues from `messageId` in a new thread, and opens it. */
  forkThread: (messageId: string) => Promise<void>;
  /** The thread (or, for ShareGPT, every thread) as text; `null` when it failed. */
  exportThread: (format: ExportFormat) => Promise<string | null>;
  /** Imports a thread export and opens it; a refused file's error is shown. */
  importThread: (json: string) => Promise<void>;
  loadPresets: () => Promise<void>;
  savePreset: (name: string, settings: ThreadSettings) => Promise<void>;
  deletePreset: (name: string) => Promise<void>;
  /** The picked model's recommended sampling, `null` when it cannot be read. */
  modelDefaults: () => Promise<ThreadSettings | null>;
  /** Applies one reply event from the backend. */
  apply: (event: ChatEventPayload) => void;
};

const INITIAL: ChatState = {
  threads: [],
  showArchived: false,
  activeThreadId: null,
  branch: null,
  live: {},
  modelId: null,
  search: { query: "", hits: [] },
  error: null,
  compareModelId: null,
  compareOn: false,
  compare: null,
  presets: [],
};

/** A thread's title in the list and on screen, after the model titled it. */
function retitle(state: ChatState, threadId: string, title: string): Partial<ChatState> {
  return {
    threads: state.threads.map((t) => (t.id === threadId ? { ...t, title } : t)),
    branch:
      state.branch && state.branch.thread.id === threadId
        ? { ...state.branch, thread: { ...state.branch.thread, title } }
        : state.branch,
  };
}

/** The comparison with a finished reply recorded. */
function compareDone(compare: CompareRun | null | undefined, message: Message): CompareRun | null {
  if (!compare || !compare.replies.some((r) => r.messageId === message.id)) return compare ?? null;
  return { ...compare, done: { ...compare.done, [message.id]: message } };
}

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const rest = { ...record };
  delete rest[key];
  return rest;
}

/** The branch with `message` put in place of the stored row of the same id. */
function replaceMessage(branch: ChatBranch | null, message: Message): ChatBranch | null {
  if (branch === null || branch.thread.id !== message.threadId) return branch;
  return {
    ...branch,
    messages: branch.messages.map((m) => (m.message.id === message.id ? { ...m, message } : m)),
  };
}

/** The state after one reply event; pure, so it is tested without a store. */
export function applyChatEvent(state: ChatState, event: ChatEventPayload): Partial<ChatState> {
  switch (event.type) {
    case "delta": {
      const current = state.live[event.messageId] ?? { threadId: event.threadId, content: "", reasoning: "" };
      return {
        live: {
          ...state.live,
          [event.messageId]: {
            threadId: event.threadId,
            content: current.content + event.content,
            reasoning: current.reasoning + event.reasoning,
          },
        },
      };
    }
    case "done":
      return {
        live: without(state.live, event.messageId),
        branch: replaceMessage(state.branch, event.message),
        compare: compareDone(state.compare, event.message),
      };
    case "error":
      return { live: without(state.live, event.messageId) };
    case "title":
      return retitle(state, event.threadId, event.title);
  }
}

/** The ids of a comparison's replies that have not ended yet. */
export function streamingCompareIds(state: Pick<ChatState, "branch"> & Partial<Pick<ChatState, "compare">>): string[] {
  const compare = state.compare ?? null;
  if (compare === null || compare.threadId !== state.branch?.thread.id) return [];
  return compare.replies.map((r) => r.messageId).filter((id) => !(id in compare.done));
}

/** The id of the reply streaming in the thread on screen, if any. */
export function streamingReplyId(
  state: Pick<ChatState, "branch" | "live"> & Partial<Pick<ChatState, "compare">>,
): string | null {
  const comparing = streamingCompareIds(state);
  if (comparing.length > 0) return comparing[0] ?? null;
  const messages = state.branch?.messages ?? [];
  for (const { message } of messages) {
    if (message.status === "streaming" && message.id in state.live) return message.id;
  }
  for (const { message } of messages) {
    if (message.status === "streaming") return message.id;
  }
  return null;
}

/** Threads, the branch on screen and the replies streaming into it, for the Chat page. */
export const useChatStore = create<ChatStore>()((set, get) => {
  const fail = (error: unknown) => {
    set({ error: toBackendError(error) });
  };
  const reload = async () => {
    const id = get().activeThreadId;
    if (id === null) return;
    const branch = await backend.chatMessages(id);
    if (get().activeThreadId === id) set({ branch });
  };
  const afterReply = async () => {
    await reload();
    await get().refreshThreads();
  };
  const model = () => {
    const modelId = get().modelId;
    if (modelId === null) throw new Error("no model selected");
    return modelId;
  };
  return {
    ...INITIAL,
    refreshThreads: async () => {
      try {
        set({ threads: await backend.chatThreadsList(get().showArchived), error: null });
      } catch (error) {
        fail(error);
      }
    },
    setShowArchived: async (show) => {
      set({ showArchived: show });
      await get().refreshThreads();
    },
    open: async (threadId) => {
      set({ activeThreadId: threadId, branch: null, compare: null });
      try {
        await reload();
      } catch (error) {
        fail(error);
      }
    },
    newThread: async () => {
      let thread = await backend.chatThreadCreate(null, get().modelId);
      // A new thread starts from the sampling its model's family is meant to run with.
      const defaults = await get().modelDefaults();
      if (defaults !== null) {
        thread = await backend.chatSettingsSet(thread.id, defaults).catch(() => thread);
      }
      set((state) => ({ threads: [thread, ...state.threads] }));
      await get().open(thread.id);
      return thread;
    },
    setModel: (modelId) => set({ modelId }),
    send: async (text) => {
      try {
        const modelId = model();
        const threadId = get().activeThreadId ?? (await get().newThread()).id;
        const { compareOn, compareModelId } = get();
        if (compareOn && compareModelId !== null && compareModelId !== modelId) {
          const started = await backend.chatSendCompare(threadId, text, [modelId, compareModelId]);
          set({
            compare: {
              threadId,
              userMessageId: started.userMessageId,
              replies: started.replies.map((r) => ({ modelId: r.modelId, messageId: r.assistantMessageId })),
              done: {},
            },
          });
        } else {
          set({ compare: null });
          await backend.chatSend(threadId, text, modelId);
        }
        await afterReply();
      } catch (error) {
        fail(error);
      }
    },
    stop: async () => {
      const comparing = streamingCompareIds(get());
      const id = streamingReplyId(get());
      const ids = comparing.length > 0 ? comparing : id === null ? [] : [id];
      try {
        await Promise.all(ids.map((each) => backend.chatStop(each)));
      } catch (error) {
        fail(error);
      }
    },
    setCompareOn: (on) => set({ compareOn: on }),
    setCompareModel: (modelId) => set({ compareModelId: modelId }),
    forkThread: async (messageId) => {
      try {
        const thread = await backend.chatForkThread(messageId);
        await get().refreshThreads();
        await get().open(thread.id);
      } catch (error) {
        fail(error);
      }
    },
    exportThread: async (format) => {
      const id = get().activeThreadId;
      try {
        // ShareGPT exports every thread; the id only has to name one that exists.
        return await backend.chatExport(id ?? "", format);
      } catch (error) {
        fail(error);
        return null;
      }
    },
    importThread: async (json) => {
      try {
        const thread = await backend.chatImport(json);
        set({ error: null });
        await get().refreshThreads();
        await get().open(thread.id);
      } catch (error) {
        fail(error);
      }
    },
    loadPresets: async () => {
      try {
        set({ presets: await backend.chatPresetsList() });
      } catch (error) {
        fail(error);
      }
    },
    savePreset: async (name, settings) => {
      try {
        set({ presets: await backend.chatPresetSave(name, settings) });
      } catch (error) {
        fail(error);
      }
    },
    deletePreset: async (name) => {
      try {
        set({ presets: await backend.chatPresetDelete(name) });
      } catch (error) {
        fail(error);
      }
    },
    modelDefaults: async () => {
      const modelId = get().modelId;
      if (modelId === null) return null;
      try {
        return (await backend.chatSamplingDefaults(modelId)).settings;
      } catch {
        return null;
      }
    },
    regenerate: async (messageId) => {
      try {
        await backend.chatRegenerate(messageId, model());
        await reload();
      } catch (error) {
        fail(error);
      }
    },
    edit: async (messageId, text) => {
      try {
        await backend.chatEdit(messageId, text, model());
        await reload();
      } catch (error) {
        fail(error);
      }
    },
    switchBranch: async (messageId) => {
      try {
        set({ branch: await backend.chatSwitchBranch(messageId) });
      } catch (error) {
        fail(error);
      }
    },
    pin: async (thread) => {
      try {
        await backend.chatThreadPin(thread.id, !thread.pinned);
        await get().refreshThreads();
      } catch (error) {
        fail(error);
      }
    },
    archive: async (thread) => {
      try {
        await backend.chatThreadArchive(thread.id, !thread.archived);
        await get().refreshThreads();
      } catch (error) {
        fail(error);
      }
    },
    remove: async (threadId) => {
      try {
        await backend.chatThreadDelete(threadId);
        if (get().activeThreadId === threadId) set({ activeThreadId: null, branch: null });
        await get().refreshThreads();
      } catch (error) {
        fail(error);
      }
    },
    saveSettings: async (settings) => {
      const id = get().activeThreadId;
      if (id === null) return;
      try {
        const thread = await backend.chatSettingsSet(id, settings);
        set((state) => ({
          branch: state.branch && state.branch.thread.id === id ? { ...state.branch, thread } : state.branch,
        }));
      } catch (error) {
        fail(error);
      }
    },
    runSearch: async (query) => {
      set({ search: { query, hits: [] } });
      if (query.trim() === "") return;
      try {
        const hits = await backend.chatSearch(query);
        if (get().search.query === query) set({ search: { query, hits } });
      } catch (error) {
        fail(error);
      }
    },
    apply: (event) => {
      set(applyChatEvent(get(), event));
      // A failed reply's stored row says why; a finished one may have titled the thread.
      if (event.type === "error") void reload().catch(fail);
      if (event.type === "done") void get().refreshThreads();
      // Both replies of a comparison are stored: the page re-reads the branch once they end.
      if (event.type === "done" && get().compare !== null) void reload().catch(fail);
    },
  };
});

let unlisten: (() => void) | null = null;
let watchers = 0;

/** Follows reply events while the returned function is not called. */
export function watchChat(): () => void {
  watchers += 1;
  if (watchers === 1) {
    void backend.onChatEvent((event) => useChatStore.getState().apply(event)).then(
      (stop) => {
        if (watchers === 0) stop();
        else unlisten = stop;
      },
      (error: unknown) => useChatStore.setState({ error: toBackendError(error) }),
    );
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    watchers -= 1;
    if (watchers === 0) {
      unlisten?.();
      unlisten = null;
    }
  };
}

/** Forgets everything between tests. */
export function resetChatForTests() {
  unlisten = null;
  watchers = 0;
  useChatStore.setState(INITIAL);
}
