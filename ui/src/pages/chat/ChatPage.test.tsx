import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import type {
  BranchMessage,
  ChatBranch,
  ChatEventPayload,
  LoadedModelInfo,
  Message,
  ModelEventPayload,
  Thread,
  ThreadSettings,
} from "../../lib/types";
import { resetChatForTests, useChatStore } from "../../stores/chat";
import { useDraftsStore } from "../../stores/drafts";
import { resetModelsForTests } from "../../stores/models";
import { ChatPage } from "./ChatPage";

vi.mock("@tanstack/react-router", () => ({
  Link: ({ children }: { children: React.ReactNode }) => <a href="/models">{children}</a>,
}));

vi.mock("../../lib/backend", () => ({
  backendMode: vi.fn(() => "tauri"),
  modelsLoaded: vi.fn(),
  modelLoad: vi.fn(),
  modelUnload: vi.fn(),
  starterModel: vi.fn(),
  onModelEvent: vi.fn(),
  chatThreadsList: vi.fn(),
  chatThreadCreate: vi.fn(),
  chatThreadPin: vi.fn(),
  chatThreadArchive: vi.fn(),
  chatThreadDelete: vi.fn(),
  chatSettingsSet: vi.fn(),
  chatMessages: vi.fn(),
  chatSwitchBranch: vi.fn(),
  chatSend: vi.fn(),
  chatStop: vi.fn(),
  chatRegenerate: vi.fn(),
  chatEdit: vi.fn(),
  chatSearch: vi.fn(),
  onChatEvent: vi.fn(),
}));

const SMOL: LoadedModelInfo = {
  id: "SmolLM2-135M-Instruct",
  path: "/fixtures/models/SmolLM2-135M-Instruct.Q4_1.gguf",
  format: "gguf",
  architecture: "llama",
  parameters: 134_515_008,
  contextLength: 8192,
  quantization: "Q4_1",
  dequantized: true,
  hasChatTemplate: true,
};

const SETTINGS: ThreadSettings = {
  systemPrompt: null,
  temperature: 0.7,
  topP: 0.9,
  topK: 40,
  minP: 0.05,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  maxTokens: 1024,
  seed: null,
};

const THREAD: Thread = {
  id: "t1",
  title: "Capitals",
  model: SMOL.id,
  pinned: false,
  archived: false,
  settings: SETTINGS,
  activeLeafId: null,
  createdAt: 1,
  updatedAt: 1,
};

function message(id: string, role: Message["role"], content: string, extra: Partial<Message> = {}): Message {
  return {
    id,
    threadId: THREAD.id,
    parentId: null,
    role,
    content,
    reasoning: "",
    toolCalls: null,
    sampling: null,
    usage: null,
    timings: null,
    status: "complete",
    error: null,
    createdAt: 1,
    ...extra,
  };
}

function item(m: Message, siblingIds: string[] = [m.id]): BranchMessage {
  return { message: m, siblingIds, siblingIndex: siblingIds.indexOf(m.id) };
}

function branch(...messages: BranchMessage[]): ChatBranch {
  return { thread: THREAD, messages };
}

let emitChat: (event: ChatEventPayload) => void = () => undefined;
let emitModel: (event: ModelEventPayload) => void = () => undefined;

function chatEvent(event: ChatEventPayload) {
  act(() => emitChat(event));
}

beforeEach(() => {
  vi.clearAllMocks();
  resetModelsForTests();
  resetChatForTests();
  useDraftsStore.setState({ chatComposer: "" });
  vi.mocked(backend.modelsLoaded).mockResolvedValue([SMOL]);
  vi.mocked(backend.starterModel).mockResolvedValue(null);
  vi.mocked(backend.onModelEvent).mockImplementation((handler) => {
    emitModel = handler;
    return Promise.resolve(() => undefined);
  });
  vi.mocked(backend.onChatEvent).mockImplementation((handler) => {
    emitChat = handler;
    return Promise.resolve(() => undefined);
  });
  vi.mocked(backend.chatThreadsList).mockResolvedValue([THREAD]);
  vi.mocked(backend.chatSearch).mockResolvedValue([]);
});

/** Renders the page with thread t1 open, showing `shown`. */
async function openThread(shown: ChatBranch) {
  vi.mocked(backend.chatMessages).mockResolvedValue(shown);
  render(<ChatPage />);
  fireEvent.click(await screen.findByText("Capitals"));
  await screen.findByTestId("chat-model-picker");
}

describe("chat page", () => {
  it("streams a reply in, then shows its stats", async () => {
    await openThread(branch());
    const user = message("u1", "user", "What is the capital of France?");
    const reply = message("a1", "assistant", "", { parentId: "u1", status: "streaming" });
    vi.mocked(backend.chatSend).mockResolvedValue({ userMessageId: "u1", assistantMessageId: "a1" });
    vi.mocked(backend.chatMessages).mockResolvedValue(branch(item(user), item(reply)));

    fireEvent.change(screen.getByTestId("chat-composer"), { target: { value: "What is the capital of France?" } });
    fireEvent.click(screen.getByTestId("chat-send"));
    await waitFor(() => expect(backend.chatSend).toHaveBeenCalledWith("t1", "What is the capital of France?", SMOL.id));
    await screen.findByTestId("chat-stop");

    chatEvent({ type: "delta", threadId: "t1", messageId: "a1", content: "The capital", reasoning: "" });
    chatEvent({ type: "delta", threadId: "t1", messageId: "a1", content: " is Paris.", reasoning: "" });
    expect(await screen.findByText("The capital is Paris.")).toBeInTheDocument();

    const done = message("a1", "assistant", "The capital is Paris.", {
      parentId: "u1",
      usage: { promptTokens: 30, completionTokens: 7, cachedTokens: 0 },
      timings: { time_to_first_token_ms: 42, decode_tokens_per_s: 55.5 },
    });
    chatEvent({ type: "done", threadId: "t1", messageId: "a1", message: done });
    expect(await screen.findByTestId("message-stats")).toHaveTextContent("7 tokens · 55.5 tok/s · 42 ms to first token");
    expect(screen.getByTestId("chat-send")).toBeInTheDocument();
    expect(screen.getByTestId("context-usage")).toHaveTextContent("37");
  });

  it("stop keeps the partial text and shows the reply as stopped", async () => {
    const user = message("u1", "user", "Write a long story about a dragon.");
    const reply = message("a1", "assistant", "", { parentId: "u1", status: "streaming" });
    await openThread(branch(item(user), item(reply)));
    vi.mocked(backend.chatStop).mockResolvedValue(true);

    chatEvent({ type: "delta", threadId: "t1", messageId: "a1", content: "Once upon a time", reasoning: "" });
    fireEvent.click(await screen.findByTestId("chat-stop"));
    await waitFor(() => expect(backend.chatStop).toHaveBeenCalledWith("a1"));

    const stopped = message("a1", "assistant", "Once upon a time", { parentId: "u1", status: "stopped" });
    chatEvent({ type: "done", threadId: "t1", messageId: "a1", message: stopped });
    expect(await screen.findByTestId("message-status")).toHaveTextContent("Stopped");
    expect(screen.getByText("Once upon a time")).toBeInTheDocument();
  });

  it("shows the model's thinking in a collapsible block", async () => {
    const reply = message("a1", "assistant", "42.", { reasoning: "Let me count." });
    await openThread(branch(item(message("u1", "user", "Answer?")), item(reply)));
    const thinking = screen.getByTestId("thinking");
    expect(thinking.tagName).toBe("DETAILS");
    expect(within(thinking).getByText("Let me count.")).toBeInTheDocument();
  });

  it("renders replies as Markdown with code", async () => {
    const reply = message("a1", "assistant", "**Bold** and `code`\n\n```js\nconst x = 1;\n```");
    await openThread(branch(item(reply)));
    expect((await screen.findByText("Bold")).tagName).toBe("STRONG");
    expect(screen.getByText("code").tagName).toBe("CODE");
  });

  it("moves between branches with the arrows", async () => {
    const first = message("a1", "assistant", "First answer", { parentId: "u1" });
    const second = message("a2", "assistant", "Second answer", { parentId: "u1" });
    const user = message("u1", "user", "Hi");
    await openThread(branch(item(user), item(second, ["a1", "a2"])));
    expect(screen.getByTestId("branch-position")).toHaveTextContent("2 / 2");

    vi.mocked(backend.chatSwitchBranch).mockResolvedValue(branch(item(user), item(first, ["a1", "a2"])));
    fireEvent.click(screen.getByRole("button", { name: "Previous version" }));
    await waitFor(() => expect(backend.chatSwitchBranch).toHaveBeenCalledWith("a1"));
    expect(await screen.findByText("First answer")).toBeInTheDocument();
    expect(screen.getByTestId("branch-position")).toHaveTextContent("1 / 2");
  });

  it("edits a user message and regenerates a reply", async () => {
    const user = message("u1", "user", "Hi");
    const reply = message("a1", "assistant", "Hello", { parentId: "u1" });
    await openThread(branch(item(user), item(reply)));
    vi.mocked(backend.chatEdit).mockResolvedValue({ userMessageId: "u2", assistantMessageId: "a2" });
    vi.mocked(backend.chatRegenerate).mockResolvedValue({ userMessageId: null, assistantMessageId: "a3" });

    fireEvent.click(screen.getByTestId("edit-message"));
    fireEvent.change(screen.getByTestId("edit-input"), { target: { value: "Hello there" } });
    fireEvent.click(screen.getByTestId("edit-save"));
    await waitFor(() => expect(backend.chatEdit).toHaveBeenCalledWith("u1", "Hello there", SMOL.id));

    fireEvent.click(screen.getByTestId("regenerate"));
    await waitFor(() => expect(backend.chatRegenerate).toHaveBeenCalledWith("a1", SMOL.id));
  });

  it("saves the settings with the thread", async () => {
    await openThread(branch(item(message("u1", "user", "Hi"))));
    vi.mocked(backend.chatSettingsSet).mockResolvedValue({ ...THREAD, settings: { ...SETTINGS, temperature: 0 } });
    fireEvent.click(screen.getByTestId("chat-settings-toggle"));
    fireEvent.change(screen.getByTestId("setting-temperature"), { target: { value: "0" } });
    fireEvent.change(screen.getByTestId("setting-systemPrompt"), { target: { value: "Be brief." } });
    fireEvent.change(screen.getByTestId("setting-seed"), { target: { value: "7" } });
    fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() =>
      expect(backend.chatSettingsSet).toHaveBeenCalledWith("t1", {
        ...SETTINGS,
        temperature: 0,
        systemPrompt: "Be brief.",
        seed: 7,
      }),
    );
    await waitFor(() => expect(useChatStore.getState().branch?.thread.settings.temperature).toBe(0));
  });

  it("shows an interrupted reply's status", async () => {
    const reply = message("a1", "assistant", "Half a", { status: "interrupted" });
    await openThread(branch(item(reply)));
    expect(screen.getByTestId("message-status")).toHaveTextContent("Interrupted");
  });

  it("offers the starter model when none is loaded and follows its load", async () => {
    vi.mocked(backend.modelsLoaded).mockResolvedValue([]);
    vi.mocked(backend.starterModel).mockResolvedValue({ id: SMOL.id, path: SMOL.path });
    vi.mocked(backend.modelLoad).mockReturnValue(new Promise(() => undefined));
    render(<ChatPage />);
    fireEvent.click(await screen.findByTestId("chat-load-starter"));
    expect(backend.modelLoad).toHaveBeenCalledWith(SMOL.path, SMOL.id, "on");
    act(() => emitModel({ type: "loading", id: SMOL.id, path: SMOL.path }));
    act(() => emitModel({ type: "progress", id: SMOL.id, fraction: 0.5 }));
    expect(await screen.findByTestId("chat-load-progress")).toHaveAttribute("value", "0.5");
    act(() => emitModel({ type: "loaded", id: SMOL.id, model: SMOL }));
    expect(await screen.findByTestId("chat-model-picker")).toHaveValue(SMOL.id);
  });
});
