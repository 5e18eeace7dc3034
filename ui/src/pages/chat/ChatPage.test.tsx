import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as backend from "../../lib/backend";
import { BackendError } from "../../lib/backend-error";
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
  modelsLocal: vi.fn(),
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
  chatSendCompare: vi.fn(),
  chatForkThread: vi.fn(),
  chatExport: vi.fn(),
  chatImport: vi.fn(),
  chatSamplingDefaults: vi.fn(),
  chatPresetsList: vi.fn(),
  chatPresetSave: vi.fn(),
  chatPresetDelete: vi.fn(),
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
  vi.mocked(backend.modelsLocal).mockResolvedValue([]);
  vi.mocked(backend.chatPresetsList).mockResolvedValue([]);
  vi.mocked(backend.chatSamplingDefaults).mockRejectedValue(new Error("not loaded"));
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
    vi.mocked(backend.modelsLocal).mockResolvedValue([
      { name: SMOL.id, path: SMOL.path, format: "gguf", source: "starter", sizeBytes: 90_000_000 },
    ]);
    vi.mocked(backend.modelLoad).mockReturnValue(new Promise(() => undefined));
    render(<ChatPage />);
    fireEvent.click(await screen.findByTestId("chat-load-local"));
    expect(backend.modelLoad).toHaveBeenCalledWith(SMOL.path, SMOL.id, "on", null);
    act(() => emitModel({ type: "loading", id: SMOL.id, path: SMOL.path }));
    act(() => emitModel({ type: "progress", id: SMOL.id, fraction: 0.5 }));
    expect(await screen.findByTestId("chat-load-progress")).toHaveAttribute("value", "0.5");
    act(() => emitModel({ type: "loaded", id: SMOL.id, model: SMOL }));
    expect(await screen.findByTestId("chat-model-picker")).toHaveValue(SMOL.id);
  });

  it("lists models from folders and the Hugging Face cache and loads one under its name", async () => {
    vi.mocked(backend.modelsLocal).mockResolvedValue([
      { name: "Qwen3-0.6B-Q8_0.gguf", path: "/models/Qwen3-0.6B-Q8_0.gguf", format: "gguf", source: "folder", sizeBytes: 1 },
      { name: "google/gemma-3-270m", path: "/hf/hub/models--google--gemma-3-270m/snapshots/abc", format: "safetensors", source: "hf_cache", sizeBytes: 1 },
    ]);
    vi.mocked(backend.modelLoad).mockReturnValue(new Promise(() => undefined));
    render(<ChatPage />);
    const picker = await screen.findByTestId("chat-local-models");
    expect(within(picker).getByRole("group", { name: "Hugging Face cache" })).toBeInTheDocument();
    fireEvent.change(picker, { target: { value: "/hf/hub/models--google--gemma-3-270m/snapshots/abc" } });
    fireEvent.click(screen.getByTestId("chat-load-local"));
    expect(backend.modelLoad).toHaveBeenCalledWith(
      "/hf/hub/models--google--gemma-3-270m/snapshots/abc",
      "gemma-3-270m",
      "auto",
      null,
    );
  });

  it("compares two models: both replies stream into columns", async () => {
    const QWEN: LoadedModelInfo = { ...SMOL, id: "Qwen3-0.6B", architecture: "qwen3" };
    vi.mocked(backend.modelsLoaded).mockResolvedValue([QWEN, SMOL]);
    const user = message("u1", "user", "Capital of France?");
    await openThread(branch());
    fireEvent.click(screen.getByTestId("chat-compare-toggle"));
    expect(await screen.findByTestId("chat-compare-model")).toHaveValue(SMOL.id);

    vi.mocked(backend.chatSendCompare).mockResolvedValue({
      userMessageId: "u1",
      replies: [
        { modelId: QWEN.id, assistantMessageId: "a1" },
        { modelId: SMOL.id, assistantMessageId: "a2" },
      ],
    });
    const second = message("a2", "assistant", "", { parentId: "u1", status: "streaming" });
    vi.mocked(backend.chatMessages).mockResolvedValue(branch(item(user), item(second, ["a1", "a2"])));
    fireEvent.change(screen.getByTestId("chat-composer"), { target: { value: "Capital of France?" } });
    fireEvent.click(screen.getByTestId("chat-send"));
    await waitFor(() =>
      expect(backend.chatSendCompare).toHaveBeenCalledWith("t1", "Capital of France?", [QWEN.id, SMOL.id]),
    );
    const columns = await screen.findAllByTestId("chat-compare-column");
    expect(columns.map((c) => c.getAttribute("aria-label"))).toEqual([`Reply from ${QWEN.id}`, `Reply from ${SMOL.id}`]);

    chatEvent({ type: "delta", threadId: "t1", messageId: "a1", content: "Paris.", reasoning: "" });
    chatEvent({ type: "delta", threadId: "t1", messageId: "a2", content: "It is Paris.", reasoning: "" });
    expect(within(columns[0]!).getByText("Paris.")).toBeInTheDocument();
    expect(within(columns[1]!).getByText("It is Paris.")).toBeInTheDocument();
    expect(screen.getByTestId("chat-stop")).toBeInTheDocument();

    vi.mocked(backend.chatStop).mockResolvedValue(true);
    fireEvent.click(screen.getByTestId("chat-stop"));
    await waitFor(() => expect(backend.chatStop).toHaveBeenCalledTimes(2));

    const doneA = message("a1", "assistant", "Paris.", { parentId: "u1", timings: { model: QWEN.id } });
    const doneB = message("a2", "assistant", "It is Paris.", { parentId: "u1", timings: { model: SMOL.id } });
    vi.mocked(backend.chatMessages).mockResolvedValue(branch(item(user), item(doneB, ["a1", "a2"])));
    chatEvent({ type: "done", threadId: "t1", messageId: "a1", message: doneA });
    chatEvent({ type: "done", threadId: "t1", messageId: "a2", message: doneB });
    await waitFor(() => expect(screen.getAllByTestId("message-stats")).toHaveLength(2));
    expect(screen.getAllByTestId("message-stats")[0]).toHaveTextContent(QWEN.id);
    expect(screen.getByTestId("chat-send")).toBeInTheDocument();
  });

  it("exports the thread and imports a file, showing why a file is refused", async () => {
    await openThread(branch(item(message("u1", "user", "Hi"))));
    const created = vi.fn(() => "blob:x");
    const revoked = vi.fn();
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: revoked });
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    vi.mocked(backend.chatExport).mockResolvedValue("# Capitals");
    fireEvent.click(screen.getByTestId("chat-export-markdown"));
    await waitFor(() => expect(backend.chatExport).toHaveBeenCalledWith("t1", "markdown"));
    await waitFor(() => expect(clicked).toHaveBeenCalled());
    expect(created).toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("chat-export-sharegpt"));
    await waitFor(() => expect(backend.chatExport).toHaveBeenCalledWith("t1", "sharegpt"));

    vi.mocked(backend.chatImport).mockRejectedValue(
      new BackendError("import_dangling_parent", "cannot import this file: messages[1].parentId: 'x' is not the id of a message in this file"),
    );
    const file = new File(['{"format": "loris-chat-thread"}'], "bad.json", { type: "application/json" });
    fireEvent.change(screen.getByTestId("chat-import-file"), { target: { files: [file] } });
    await waitFor(() => expect(backend.chatImport).toHaveBeenCalledWith('{"format": "loris-chat-thread"}'));
    await waitFor(() => expect(useChatStore.getState().error?.code).toBe("import_dangling_parent"));
    clicked.mockRestore();
  });

  it("continues from a message in a new thread", async () => {
    const user = message("u1", "user", "Hi");
    const reply = message("a1", "assistant", "Hello", { parentId: "u1" });
    await openThread(branch(item(user), item(reply)));
    const fork: Thread = { ...THREAD, id: "t2", title: "Capitals (fork)" };
    vi.mocked(backend.chatForkThread).mockResolvedValue(fork);
    vi.mocked(backend.chatThreadsList).mockResolvedValue([fork, THREAD]);
    vi.mocked(backend.chatMessages).mockResolvedValue({ thread: fork, messages: [item(user), item(reply)] });
    fireEvent.click(screen.getAllByTestId("fork-thread")[1]!);
    await waitFor(() => expect(backend.chatForkThread).toHaveBeenCalledWith("a1"));
    await waitFor(() => expect(useChatStore.getState().activeThreadId).toBe("t2"));
    expect(await screen.findByText("Capitals (fork)", { selector: "h1" })).toBeInTheDocument();
  });

  it("fills the settings from the model's defaults and saves, applies and deletes presets", async () => {
    vi.mocked(backend.chatPresetsList).mockResolvedValue([{ name: "Exact", settings: { ...SETTINGS, temperature: 0 } }]);
    vi.mocked(backend.chatSamplingDefaults).mockResolvedValue({
      family: "qwen3_thinking",
      settings: { ...SETTINGS, temperature: 0.6, topP: 0.95, topK: 20, minP: 0 },
    });
    await openThread(branch(item(message("u1", "user", "Hi"))));
    fireEvent.click(screen.getByTestId("chat-settings-toggle"));
    fireEvent.click(screen.getByTestId("settings-model-defaults"));
    await waitFor(() => expect(screen.getByTestId("setting-topK")).toHaveValue(20));
    expect(screen.getByTestId("setting-temperature")).toHaveValue(0.6);

    fireEvent.change(screen.getByTestId("settings-preset"), { target: { value: "Exact" } });
    fireEvent.click(screen.getByTestId("settings-preset-apply"));
    await waitFor(() => expect(screen.getByTestId("setting-temperature")).toHaveValue(0));

    vi.mocked(backend.chatPresetSave).mockResolvedValue([]);
    fireEvent.change(screen.getByTestId("settings-preset-name"), { target: { value: "Mine" } });
    fireEvent.click(screen.getByTestId("settings-preset-save"));
    await waitFor(() =>
      expect(backend.chatPresetSave).toHaveBeenCalledWith("Mine", expect.objectContaining({ temperature: 0, topK: 40, systemPrompt: null })),
    );
    vi.mocked(backend.chatPresetDelete).mockResolvedValue([]);
    vi.mocked(backend.chatPresetsList).mockResolvedValue([]);
    useChatStore.setState({ presets: [{ name: "Exact", settings: SETTINGS }] });
    fireEvent.change(await screen.findByTestId("settings-preset"), { target: { value: "Exact" } });
    fireEvent.click(screen.getByTestId("settings-preset-delete"));
    await waitFor(() => expect(backend.chatPresetDelete).toHaveBeenCalledWith("Exact"));
  });

  it("shows the model's title when it arrives and the tool calls of a reply", async () => {
    const calls = [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } }];
    const reply = message("a1", "assistant", "Let me check.", { toolCalls: calls });
    await openThread(branch(item(message("u1", "user", "Weather?")), item(reply)));
    expect(screen.getByTestId("tool-calls")).toHaveTextContent('get_weather({"city":"Paris"})');
    chatEvent({ type: "title", threadId: "t1", title: "Paris weather" });
    expect(await screen.findByText("Paris weather", { selector: "h1" })).toBeInTheDocument();
    expect(useChatStore.getState().threads[0]?.title).toBe("Paris weather");
  });
});
